/// Why a store operation did not happen. The API layer maps each case to Lambda's error shapes.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The function, version or alias does not exist (`ResourceNotFoundException`).
    case notFound(String)
    /// It exists already, or the change conflicts with the current state (`ResourceConflictException`).
    case conflict(String)
    /// A RevisionId or CodeSha256 precondition did not hold (`PreconditionFailedException`).
    case preconditionFailed(String)
    /// The request is not valid (a bad name or id) (`InvalidParameterValueException`).
    case invalid(String)
    /// The database failed (`ServiceException`); the message is for the log, not the client.
    case database(String)

    public var description: String {
        switch self {
        case let .notFound(m), let .conflict(m), let .preconditionFailed(m), let .invalid(m), let .database(m): return m
        }
    }
}
