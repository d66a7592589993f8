/// Why a destination pattern ("HOST:PORT", the part of an `arn:corral:net:::HOST:PORT` resource after the
/// prefix) was refused. The message names the pattern, so a role author sees which one to fix.
public struct EgressPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The pattern as it was given.
    public let pattern: String
    /// What is wrong with it, in a few words.
    public let reason: String

    public init(pattern: String, reason: String) {
        self.pattern = pattern
        self.reason = reason
    }

    public var description: String {
        "invalid network destination pattern \"\(pattern)\": \(reason)"
    }
}
