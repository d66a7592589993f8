/// A function's execution role: one of its tenant's roles, whose policy decides what the function's sandbox
/// can touch. `compile` turns the policy into the sandbox's grants (binds and secrets, fixed when the
/// environment starts); `allows` answers the questions asked while it runs (a proxied connection, an
/// invocation made with the role's credentials) with the same engine, so Deny statements, NotResource and
/// conditions mean what they mean everywhere else.
///
/// The vocabulary (docs/policies.md):
/// - `fs:Read` / `fs:Write` on `arn:corral:fs:::/host/path` or `arn:corral:fs:::/host/path/*`;
/// - `net:Connect` on `arn:corral:net:::HOST:PORT` (wildcards allowed);
/// - `secrets:Get` on `arn:corral:secrets:::NAME`;
/// - `lambda:InvokeFunction` on function ARNs.
public struct ExecutionRole: Sendable, Equatable {
    public let account: String
    public let name: String
    public let document: PolicyDocument

    public init(account: String, name: String, document: PolicyDocument) {
        self.account = account
        self.name = name
        self.document = document
    }

    /// `arn:aws:iam::<account>:role/<name>`, the form a function's Role takes.
    public var arn: String { "arn:aws:iam::\(account):role/\(name)" }

    /// The role's policy as the engine reports it ("role NAME policy").
    public var policy: NamedPolicy { .identity("role \(name) policy", document) }

    /// The principal that acts with the role: `arn:aws:sts::<account>:assumed-role/<name>/<session>`.
    public func principal(session: String) -> RequestPrincipal {
        .iam(arn: "arn:aws:sts::\(account):assumed-role/\(name)/\(session)", account: account)
    }

    /// The decision for `action` on `resource` (a resource of the role's own account unless it is an ARN
    /// naming another), with the role's policy as the only identity policy.
    public func evaluate(_ action: String, on resource: String, context: ConditionContext = ConditionContext()) -> Decision {
        let owner = ARN(resource).map(\.account).flatMap { $0.isEmpty ? nil : $0 } ?? account
        var context = context
        let principal = principal(session: "corral")
        context.set("aws:PrincipalAccount", to: account)
        context.set("aws:PrincipalArn", to: arn)
        let request = AuthorizationRequest(principal: principal, action: action, resource: resource, resourceAccount: owner, context: context)
        return PolicyEvaluator.evaluate(request, identityPolicies: [policy], resourcePolicy: nil)
    }

    /// True when the role lets its sandbox connect to `host`:`port` through the egress proxy.
    public func allowsConnect(host: String, port: Int) -> Bool {
        evaluate(RoleVocabulary.connect, on: RoleVocabulary.netARN(host: host, port: port)).isAllowed
    }

    /// True when some Allow statement covers `lambda:InvokeFunction`: the environment then gets credentials
    /// for the role (each invocation made with them is still authorized on its own).
    public var mayInvokeFunctions: Bool {
        document.statements.contains { $0.effect == .allow && $0.covers(action: RoleVocabulary.invoke) }
    }

    /// The `net:Connect` resource patterns of the role's Allow statements (what `corral policy effective`
    /// shows as the egress allowlist; Deny statements still apply to each connection).
    public var egressPatterns: [String] {
        resources(of: .allow, covering: [RoleVocabulary.connect])
    }

    /// The resource entries of listed-Resource statements of `effect` that cover any of `actions`.
    func resources(of effect: PolicyStatement.Effect, covering actions: [String]) -> [String] {
        var entries: [String] = []
        for statement in document.statements where statement.effect == effect && actions.contains(where: statement.covers(action:)) {
            guard case let .listed(list) = statement.resources else { continue }
            for entry in list where !entries.contains(entry) { entries.append(entry) }
        }
        return entries
    }
}

extension PolicyStatement {
    /// Whether the statement's Action (or NotAction) element covers `action`, conditions aside.
    func covers(action: String) -> Bool {
        let listed = actions.value.contains { PolicyMatching.actionMatches($0, action) }
        return actions.isNegated ? !listed : listed
    }
}

/// The actions and resource ARNs execution roles speak in.
public enum RoleVocabulary {
    public static let read = "fs:Read"
    public static let write = "fs:Write"
    public static let connect = "net:Connect"
    public static let getSecret = "secrets:Get"
    public static let invoke = "lambda:InvokeFunction"

    public static let fsPrefix = "arn:corral:fs:::"
    public static let netPrefix = "arn:corral:net:::"
    public static let secretsPrefix = "arn:corral:secrets:::"

    /// `arn:corral:net:::HOST:PORT`; an IPv6 address goes in brackets.
    public static func netARN(host: String, port: Int) -> String {
        let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return netPrefix + "\(shown.lowercased()):\(port)"
    }

    public static func fsARN(_ path: String) -> String { fsPrefix + path }

    public static func secretARN(_ name: String) -> String { secretsPrefix + name }
}
