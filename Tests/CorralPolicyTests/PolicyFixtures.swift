@testable import CorralPolicy

/// Accounts, principals, resources and small builders shared by the policy tests.
enum Fixtures {
    static let account = "111122223333"
    static let otherAccount = "444455556666"
    static let user = "arn:aws:iam::111122223333:user/ci"
    static let otherUser = "arn:aws:iam::444455556666:user/partner"
    static let function = "arn:aws:lambda:us-east-1:111122223333:function:my-fn"

    static let ci = RequestPrincipal.iam(arn: user, account: account)
    static let partner = RequestPrincipal.iam(arn: otherUser, account: otherAccount)

    /// Parses an identity-based policy.
    static func identity(_ json: String) throws -> PolicyDocument {
        try PolicyDocument.parse(json, kind: .identity)
    }

    /// Parses a resource-based policy.
    static func resource(_ json: String) throws -> PolicyDocument {
        try PolicyDocument.parse(json, kind: .resource)
    }

    /// The error `PolicyDocument.parse` throws for `json`, or nil when it parses.
    static func refusal(_ json: String, kind: PolicyKind = .identity) -> PolicyError? {
        do {
            _ = try PolicyDocument.parse(json, kind: kind)
            return nil
        } catch {
            return error
        }
    }

    /// A one-statement identity document around `body`, the statement's members after Effect.
    static func statementJSON(_ body: String, effect: String = "Allow", version: String? = "2012-10-17") -> String {
        let versionMember = version.map { "\"Version\":\"\($0)\"," } ?? ""
        return "{\(versionMember)\"Statement\":[{\"Effect\":\"\(effect)\",\(body)}]}"
    }

    /// Evaluates one condition against `context`.
    static func condition(_ name: String, _ key: String, _ values: [String], _ context: ConditionContext,
                          variables: Bool = true) -> Truth? {
        guard let conditionOperator = ConditionOperator(name: name) else { return nil }
        return ConditionEvaluator(context: context, variablesEnabled: variables)
            .evaluate(PolicyCondition(conditionOperator, key: key, values: values))
    }

    /// A context with one key.
    static func context(_ key: String, _ values: String...) -> ConditionContext {
        var context = ConditionContext()
        context.set(key, to: values)
        return context
    }

    /// A request by `principal` for `action` on `resource` (owned by `resourceAccount`).
    static func request(_ principal: RequestPrincipal = ci, _ action: String = "lambda:GetFunction",
                        resource: String = function, resourceAccount: String = account,
                        context: ConditionContext = ConditionContext()) -> AuthorizationRequest {
        AuthorizationRequest(principal: principal, action: action, resource: resource, resourceAccount: resourceAccount,
                             context: context)
    }
}
