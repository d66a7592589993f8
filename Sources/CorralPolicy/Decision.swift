/// The outcome of evaluating a request, with the statements that decided it so an audit log can say why.
public struct Decision: Sendable, Equatable {
    /// Allowed, or denied explicitly or implicitly.
    public enum Effect: Sendable, Equatable {
        case allow
        /// A Deny statement applied.
        case explicitDeny
        /// No statement allowed the request.
        case implicitDeny
    }

    public let effect: Effect
    /// The deciding statements: for an explicit deny, the Deny that applied; for a same-account allow,
    /// the Allow found first (identity policies before the resource policy); for a cross-account allow,
    /// the identity policy's Allow then the resource policy's. Empty for an implicit deny, and for an
    /// account root allowed in its own account without any statement.
    public let statements: [DecidingStatement]
    /// For an implicit deny, the kind of policy that lacked an Allow: `.identity` unless the identity
    /// side was satisfied and the resource policy was not (cross-account or service callers).
    public let missingAllow: PolicyKind?

    public init(effect: Effect, statements: [DecidingStatement] = [], missingAllow: PolicyKind? = nil) {
        self.effect = effect
        self.statements = statements
        self.missingAllow = missingAllow
    }

    /// The statement that decided; nil for an implicit deny.
    public var statement: DecidingStatement? {
        statements.first
    }

    /// True when the request is allowed.
    public var isAllowed: Bool {
        effect == .allow
    }

    /// AWS's AccessDenied text for this decision, or nil when the request is allowed:
    ///
    /// - implicit deny: `User: <principal> is not authorized to perform: <action> on resource: <resource>
    ///   because no identity-based policy allows the <action> action` (`resource-based` when the resource
    ///   policy is the side without an Allow);
    /// - explicit deny: `User: <principal> is not authorized to perform: <action> on resource: <resource>
    ///   with an explicit deny in an identity-based policy` (or `a resource-based policy`).
    public func accessDeniedMessage(principal: String, action: String, resource: String) -> String? {
        let prefix = "User: \(principal) is not authorized to perform: \(action) on resource: \(resource)"
        switch effect {
        case .allow:
            return nil
        case .implicitDeny:
            return "\(prefix) because no \((missingAllow ?? .identity).label) policy allows the \(action) action"
        case .explicitDeny:
            let kind = statement?.policyKind ?? .identity
            let article = kind == .identity ? "an" : "a"
            return "\(prefix) with an explicit deny in \(article) \(kind.label) policy"
        }
    }

    /// `accessDeniedMessage(principal:action:resource:)` for the request that was evaluated.
    public func accessDeniedMessage(for request: AuthorizationRequest) -> String? {
        accessDeniedMessage(principal: request.principal.arn, action: request.action, resource: request.resource)
    }
}

/// Which statement of which policy took part in a decision.
public struct DecidingStatement: Sendable, Equatable, CustomStringConvertible {
    /// The `NamedPolicy`'s name.
    public let policyName: String
    public let policyKind: PolicyKind
    /// The statement's position in the document, from 0.
    public let index: Int
    public let sid: String?
    public let effect: PolicyStatement.Effect

    public init(policyName: String, policyKind: PolicyKind, index: Int, sid: String?, effect: PolicyStatement.Effect) {
        self.policyName = policyName
        self.policyKind = policyKind
        self.index = index
        self.sid = sid
        self.effect = effect
    }

    /// `<policy name>, statement <index> (Sid <sid>): <effect>`.
    public var description: String {
        "\(policyName), statement \(index)" + (sid.map { " (Sid \($0))" } ?? "") + ": \(effect.rawValue)"
    }
}
