import CorralFunctions
import CorralPolicy
import CorralStore
import Foundation

/// A function's resource-based policy: AddPermission, RemovePermission and GetPolicy, one policy per
/// function or qualifier (version or alias), built and shown exactly as Lambda does (CorralPolicy's
/// LambdaResourcePolicy). It is what lets another account invoke the function.
extension LambdaService {
    struct AddPermissionRequest: Decodable {
        var statementId: String?
        var action: String?
        var principal: String?
        var sourceArn: String?
        var sourceAccount: String?
        var principalOrgID: String?
        var eventSourceToken: String?
        var functionUrlAuthType: String?
        var revisionId: String?
        enum CodingKeys: String, CodingKey {
            case statementId = "StatementId", action = "Action", principal = "Principal", sourceArn = "SourceArn"
            case sourceAccount = "SourceAccount", principalOrgID = "PrincipalOrgID", eventSourceToken = "EventSourceToken"
            case functionUrlAuthType = "FunctionUrlAuthType", revisionId = "RevisionId"
        }
    }

    /// AddPermission: `{"Statement": "<the statement's JSON>"}`.
    func addPermission(_ caller: Caller, _ name: String, qualifier: String?, _ body: [UInt8]) throws(LambdaError) -> [String: String] {
        let request = try LambdaJSON.decode(AddPermissionRequest.self, from: body)
        guard let statementId = request.statementId, let action = request.action, let principal = request.principal else {
            throw .invalidParameter("StatementId, Action and Principal are required")
        }
        let (reference, qualifier) = try policyTarget(caller, name, qualifier)
        let permission = LambdaPermission(statementId: statementId, action: action, principal: principal,
                                          functionArn: FunctionARN(region: caller.region, account: caller.account, name: reference).description,
                                          qualifier: qualifier, sourceArn: request.sourceArn, sourceAccount: request.sourceAccount,
                                          principalOrgID: request.principalOrgID, eventSourceToken: request.eventSourceToken,
                                          functionUrlAuthType: request.functionUrlAuthType)
        let statement: PolicyStatement
        do {
            statement = try LambdaResourcePolicy.permissionStatement(permission)
        } catch {
            throw LambdaError.from(error)
        }
        let outcome = try call { () throws(StoreError) in
            try functions.changePolicy(account: caller.account, function: reference, qualifier: qualifier, revisionID: request.revisionId) { current in
                Result { () throws(PolicyError) in
                    let policy = try current.map { text throws(PolicyError) in try LambdaResourcePolicy.parse(text) } ?? LambdaResourcePolicy()
                    return try policy.adding(statement).json()
                }
            }
        }
        if case let .failure(error) = outcome { throw LambdaError.from(error) }
        return ["Statement": statement.json()]
    }

    /// RemovePermission; removing the last statement removes the policy.
    func removePermission(_ caller: Caller, _ name: String, statementId: String, qualifier: String?, revisionID: String?) throws(LambdaError) {
        let (reference, qualifier) = try policyTarget(caller, name, qualifier)
        let outcome = try call { () throws(StoreError) in
            try functions.changePolicy(account: caller.account, function: reference, qualifier: qualifier, revisionID: revisionID) { current in
                Result { () throws(PolicyError) in
                    guard let current else { throw PolicyError(.statementNotFound, path: "StatementId", message: "No policy is associated with the given resource.") }
                    let remaining = try LambdaResourcePolicy.parse(current).removing(sid: statementId)
                    return remaining.isEmpty ? nil : remaining.json()
                }
            }
        }
        if case let .failure(error) = outcome { throw LambdaError.from(error) }
    }

    /// GetPolicy: `{"Policy": "<the policy's JSON>", "RevisionId": ...}`; 404 when there is none.
    func getPolicy(_ caller: Caller, _ name: String, qualifier: String?) throws(LambdaError) -> [String: String] {
        let (reference, qualifier) = try policyTarget(caller, name, qualifier)
        guard let found = try call({ () throws(StoreError) in try functions.policy(account: caller.account, function: reference, qualifier: qualifier) }) else {
            throw .notFound("The resource you requested does not exist.")
        }
        return ["Policy": found.json, "RevisionId": found.revisionID]
    }

    /// The function and qualifier a policy belongs to, both existing; `$LATEST` has none (as in Lambda).
    func policyTarget(_ caller: Caller, _ name: String, _ qualifier: String?) throws(LambdaError) -> (name: String, qualifier: String?) {
        let reference = try reference(caller, name, qualifier: qualifier)
        if reference.qualifier == "$LATEST" { throw .invalidParameter("We currently do not support adding policies for $LATEST.") }
        _ = try resolve(caller, reference.name, qualifier: reference.qualifier)
        return (reference.name, reference.qualifier)
    }

    /// The resource policy of the function `reference` names in `account` (qualified first, as Lambda
    /// reads the alias's or version's own policy), for authorizing another account's request.
    public func resourcePolicy(account: String, function: String, qualifier: String?) -> PolicyDocument? {
        guard let found = try? functions.policy(account: account, function: function, qualifier: qualifier) else { return nil }
        return try? LambdaResourcePolicy.parse(found.json).document
    }
}
