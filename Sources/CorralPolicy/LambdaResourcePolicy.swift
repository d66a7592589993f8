/// A Lambda function's resource-based policy (one per function, or per version or alias): the statements
/// AddPermission added, in order.
///
/// The store keeps `json()`, which is also GetPolicy's `Policy` string; `parse(_:)` reads it back.
/// Changes return a new value and refuse what Lambda refuses: a Sid already present, a Sid that is not,
/// and a policy over `maximumBytes` once serialized.
public struct LambdaResourcePolicy: Sendable, Equatable {
    /// Lambda's limit on a function policy, in bytes of `json()`.
    public static let maximumBytes = PolicyDocument.maximumResourcePolicyBytes
    /// The document `Id` Lambda writes.
    public static let policyId = "default"

    public private(set) var statements: [PolicyStatement]

    /// An empty policy.
    public init() {
        statements = []
    }

    /// A policy holding `statements` as given; no checks.
    public init(statements: [PolicyStatement]) {
        self.statements = statements
    }

    /// Builds AddPermission's statement; see `LambdaPermission.statement()`.
    public static func permissionStatement(_ permission: LambdaPermission) throws(PolicyError) -> PolicyStatement {
        try permission.statement()
    }

    /// Reads a policy stored as `json()`. The text must be a resource-based policy document whose
    /// statements all have a Sid.
    public static func parse(_ json: String) throws(PolicyError) -> LambdaResourcePolicy {
        let document = try PolicyDocument.parse(json, kind: .resource)
        for (index, statement) in document.statements.enumerated() where statement.sid == nil {
            throw .malformed("Statement[\(index)].Sid", "every statement of a function policy needs a Sid")
        }
        return LambdaResourcePolicy(statements: document.statements)
    }

    /// True when the policy has no statement (GetPolicy then answers 404).
    public var isEmpty: Bool {
        statements.isEmpty
    }

    /// The statement with Sid `sid`, if any.
    public func statement(sid: String) -> PolicyStatement? {
        statements.first { $0.sid == sid }
    }

    /// The policy as a document to evaluate: Version `2012-10-17`, Id `default`.
    public var document: PolicyDocument {
        PolicyDocument(version: PolicyDocument.currentVersion, id: LambdaResourcePolicy.policyId, statements: statements)
    }

    /// GetPolicy's `Policy` string: `{"Version":"2012-10-17","Id":"default","Statement":[...]}`, statements
    /// in compact form.
    public func json() -> String {
        document.json()
    }

    /// The policy with `statement` appended. Throws `.duplicateStatementId` (path `StatementId`) when its
    /// Sid is taken, `.invalidParameter` when it has none, and `.policyLengthExceeded` (path `Policy`) when
    /// the result would be over `maximumBytes`.
    public func adding(_ statement: PolicyStatement) throws(PolicyError) -> LambdaResourcePolicy {
        guard let sid = statement.sid else {
            throw .invalidParameter("StatementId", "a function policy statement needs a Sid")
        }
        guard self.statement(sid: sid) == nil else {
            throw PolicyError(.duplicateStatementId, path: "StatementId",
                              message: "The statement id (\(sid)) provided already exists. Please provide a new statement id, or remove the existing statement.")
        }
        let result = LambdaResourcePolicy(statements: statements + [statement])
        let size = result.json().utf8.count
        guard size <= LambdaResourcePolicy.maximumBytes else {
            throw PolicyError(.policyLengthExceeded, path: PolicyError.documentPath,
                              message: "The final policy size (\(size)) is bigger than the limit (\(LambdaResourcePolicy.maximumBytes)).")
        }
        return result
    }

    /// The policy without the statement whose Sid is `sid`. Throws `.statementNotFound` (path
    /// `StatementId`) when there is none.
    public func removing(sid: String) throws(PolicyError) -> LambdaResourcePolicy {
        guard let index = statements.firstIndex(where: { $0.sid == sid }) else {
            throw PolicyError(.statementNotFound, path: "StatementId", message: "Statement \(sid) is not found in resource policy.")
        }
        var remaining = statements
        remaining.remove(at: index)
        return LambdaResourcePolicy(statements: remaining)
    }
}
