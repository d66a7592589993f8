import CorralPolicy
import Foundation

/// Decides, for every API operation, whether the caller may perform it, as IAM would: the caller's
/// identity policy (a root key is allowed everything in its own account), explicit deny first. Refusals
/// are 403 AccessDeniedException with AWS's message. Every decision goes to the audit log.
public struct Authorizer: Sendable {
    let audit: AuditLog?
    let now: @Sendable () -> Date

    public init(audit: AuditLog?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.audit = audit
        self.now = now
    }

    /// Throws AccessDeniedException unless `caller` may perform `action` on `resource` (an ARN, or `*`).
    /// `resourceAccount` is the caller's own unless given; `resourcePolicy` is the resource's, if any
    /// (another account's function is reachable only through one).
    public func authorize(_ caller: Caller, action: String, resource: String, resourceAccount: String? = nil,
                          resourcePolicy: NamedPolicy? = nil) throws(LambdaError) {
        let owner = resourceAccount ?? caller.account
        // A tenant's root key without a policy of its own may do anything in its own account: the
        // evaluator would say so too, after building a context for nothing. Audited all the same.
        if caller.identityPolicy == nil, caller.principalARN.hasSuffix(":root"), owner == caller.account {
            audit?.record(AuditLog.Entry(time: now(), principal: caller.principalARN, accessKeyID: caller.accessKeyID, action: action,
                                         resource: resource, decision: Decision(effect: .allow)))
            return
        }
        let principal = RequestPrincipal(arn: caller.principalARN) ?? .accountRoot(caller.account)
        var context = ConditionContext()
        let time = now()
        context.setRequestTime(time)
        context.principalAccount = caller.account
        context.principalArn = caller.principalARN
        if let address = caller.sourceIP { context.sourceIp = address }
        if let user = caller.principalARN.split(separator: "/", maxSplits: 1).dropFirst().first, caller.principalARN.contains(":user/") {
            context.username = String(user)
        }
        if resource.hasPrefix("arn:aws:lambda:") { context.functionArn = resource }
        let request = AuthorizationRequest(principal: principal, action: action, resource: resource,
                                           resourceAccount: owner, context: context)
        let identity = caller.identityPolicy.map { [NamedPolicy.identity("identity policy of key \(caller.accessKeyID ?? "-")", $0)] } ?? []
        let decision = PolicyEvaluator.evaluate(request, identityPolicies: identity, resourcePolicy: resourcePolicy)
        audit?.record(AuditLog.Entry(time: time, principal: caller.principalARN, accessKeyID: caller.accessKeyID, action: action,
                                     resource: resource, decision: decision))
        if let message = decision.accessDeniedMessage(for: request) {
            throw LambdaError(status: 403, type: "AccessDeniedException", message: message)
        }
    }
}
