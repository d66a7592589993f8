import CorralSystem

/// A host path bound into the sandbox: `SRC:DST[:ro|:rw]`.
///
/// The launcher opens every source itself, in the parent, without following a symlink in any component
/// (openat2 RESOLVE_NO_SYMLINKS), and hands the child the opened mount: a path swapped for a symlink
/// between the plan and the launch fails the launch instead of binding what the symlink names.
/// A bind with a `root` (a tenant's grant) is opened beneath that pinned directory and is not recursive:
/// mounts below the source stay out of the sandbox.
public struct BindMount: Sendable, Equatable {
    public var source: String
    public var destination: String
    public var readOnly: Bool
    /// The pinned directory `source` lies on or under (a host root the operator opened to a tenant); nil
    /// for an operator's own bind (`corral run --bind`), whose source is resolved when the plan is made.
    public var root: PinnedDirectory?

    public init(source: String, destination: String, readOnly: Bool = true, root: PinnedDirectory? = nil) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
        self.root = root
    }

    /// Parses `SRC:DST`, `SRC:DST:ro` or `SRC:DST:rw` (read-only unless `rw` is given).
    public init(argument: String) throws(SandboxSpecError) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalid("bind", "'\(argument)' must be SRC:DST[:ro|:rw]")
        }
        var readOnly = true
        if parts.count == 3 {
            switch parts[2] {
            case "ro": readOnly = true
            case "rw": readOnly = false
            default: throw .invalid("bind", "'\(argument)': mode must be ro or rw, not '\(parts[2])'")
            }
        }
        self.init(source: parts[0], destination: parts[1], readOnly: readOnly)
    }

    /// Checks the paths' shape: both absolute, the destination normalized and outside the paths the
    /// sandbox reserves for itself. Whether a component is a symlink is checked against the real root
    /// when the mount plan is built.
    func validate() throws(SandboxSpecError) {
        guard source.hasPrefix("/") else { throw .invalid("bind", "source '\(source)' must be an absolute path") }
        if let root {
            guard SandboxPath.isNormalizedAbsolute(source), root.relative(source) != nil else {
                throw .invalid("bind", "source '\(source)' must be a normalized path on or under its root \(root.path)")
            }
        }
        guard SandboxPath.isNormalizedAbsolute(destination) else {
            throw .invalid("bind", "destination '\(destination)' must be an absolute path without '.', '..' or '//'")
        }
        guard destination != "/" else { throw .invalid("bind", "cannot bind over the sandbox's root") }
        for reserved in SandboxPath.reserved where SandboxPath.isSameOrUnder(destination, reserved) {
            throw .invalid("bind", "destination '\(destination)' is under \(reserved), which the sandbox manages")
        }
    }
}

/// Path rules shared by specs and the mount plan.
enum SandboxPath {
    /// Mount points the sandbox sets up itself; binds may not land on or under them.
    static let reserved = ["/proc", "/dev", "/sys"]

    /// Absolute, no empty, "." or ".." components, no trailing slash (except "/" itself).
    static func isNormalizedAbsolute(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        if path == "/" { return true }
        let components = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        return components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." } && !path.utf8.contains(0)
    }

    static func isSameOrUnder(_ path: String, _ base: String) -> Bool {
        path == base || path.hasPrefix(base + "/")
    }

    /// "/a/b/c" -> ["a", "a/b", "a/b/c"]: each prefix, relative to the root.
    static func prefixes(_ path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for component in path.split(separator: "/") {
            current = current.isEmpty ? String(component) : current + "/" + component
            result.append(current)
        }
        return result
    }

    /// "/a/b" -> "a/b": the form the child resolves inside the new root.
    static func relative(_ path: String) -> String {
        path == "/" ? "." : String(path.drop(while: { $0 == "/" }))
    }
}
