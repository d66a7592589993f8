/// A Lambda runtime identifier and what it asks the host for.
public enum RuntimeName: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// `python3.N`: the host's (or root filesystem's) python3.N with Corral's bootstrap.
    case python(minor: Int)
    /// `nodejsN.x`: node of major version N with Corral's bootstrap.
    case node(major: Int)
    /// `provided`, `provided.al2`, `provided.al2023`: the package's own `bootstrap` executable.
    case provided(String)

    public init?(_ identifier: String) {
        if identifier.hasPrefix("python3."), let minor = Int(identifier.dropFirst(8)), minor >= 0,
           String(minor) == identifier.dropFirst(8) {
            self = .python(minor: minor)
        } else if identifier.hasPrefix("nodejs"), identifier.hasSuffix(".x"),
                  let major = Int(identifier.dropFirst(6).dropLast(2)), major > 0, String(major) == identifier.dropFirst(6).dropLast(2) {
            self = .node(major: major)
        } else if ["provided", "provided.al2", "provided.al2023"].contains(identifier) {
            self = .provided(identifier)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .python(minor): return "python3.\(minor)"
        case let .node(major): return "nodejs\(major).x"
        case let .provided(name): return name
        }
    }
}
