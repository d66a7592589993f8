/// A policy document, a Lambda permission or a change to a resource policy was refused.
///
/// `path` says where, in the element syntax of the document (`Statement[1].Condition.NumericLessThan.aws:EpochTime`)
/// or, for AddPermission and RemovePermission, the request parameter's name (`StatementId`, `Principal`).
/// `Policy` names the document as a whole (its size, its JSON syntax). The API layer chooses Lambda's
/// exception from `kind` and uses `message` as the text.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, so the API layer can pick the exception without reading the message.
    public enum Kind: String, Sendable, Equatable {
        /// The document breaks IAM's grammar (400 `MalformedPolicyDocument` / `InvalidParameterValueException`).
        case malformedPolicy
        /// An AddPermission parameter is invalid (400 `InvalidParameterValueException`).
        case invalidParameter
        /// The document is over its size limit (400 `PolicyLengthExceededException`).
        case policyLengthExceeded
        /// AddPermission named a StatementId the policy already has (409 `ResourceConflictException`).
        case duplicateStatementId
        /// RemovePermission named a StatementId the policy does not have (404 `ResourceNotFoundException`).
        case statementNotFound
    }

    public let kind: Kind
    /// Where the problem is: an element path, a parameter name, or `Policy` for the whole document.
    public let path: String
    public let message: String

    public init(_ kind: Kind = .malformedPolicy, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// `"<path>: <message>"`.
    public var description: String { "\(path): \(message)" }

    /// The path naming the document as a whole.
    static let documentPath = "Policy"

    /// A grammar error at `path`.
    static func malformed(_ path: String, _ message: String) -> PolicyError {
        PolicyError(.malformedPolicy, path: path, message: message)
    }

    /// An AddPermission parameter error; `parameter` is the request field's name.
    static func invalidParameter(_ parameter: String, _ message: String) -> PolicyError {
        PolicyError(.invalidParameter, path: parameter, message: message)
    }
}
