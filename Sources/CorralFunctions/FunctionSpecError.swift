/// A request's function settings or names break one of Lambda's rules. The API layer turns it into
/// `InvalidParameterValueException` (400) with `message` as the text.
public enum FunctionSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `field` is the request's own parameter name (`MemorySize`, `Environment`), so the message points
    /// at what to fix.
    case invalid(_ field: String, _ message: String)

    public var field: String {
        switch self { case let .invalid(field, _): return field }
    }

    public var description: String {
        switch self { case let .invalid(field, message): return "\(field): \(message)" }
    }
}
