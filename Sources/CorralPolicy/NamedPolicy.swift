/// A policy document with the name an audit log should use for it ("key ci-deployer identity policy",
/// "function my-fn resource policy") and the kind of policy it is.
///
/// `PolicyEvaluator.evaluate` treats a policy by the argument it is passed in (`identityPolicies` or
/// `resourcePolicy`); `kind` tells the caller which one that is.
public struct NamedPolicy: Sendable, Equatable {
    public var name: String
    public var kind: PolicyKind
    public var document: PolicyDocument

    public init(name: String, kind: PolicyKind, document: PolicyDocument) {
        self.name = name
        self.kind = kind
        self.document = document
    }

    /// An identity-based policy.
    public static func identity(_ name: String, _ document: PolicyDocument) -> NamedPolicy {
        NamedPolicy(name: name, kind: .identity, document: document)
    }

    /// A resource-based policy.
    public static func resource(_ name: String, _ document: PolicyDocument) -> NamedPolicy {
        NamedPolicy(name: name, kind: .resource, document: document)
    }
}

/// Whether a policy is attached to an identity (an access key's user or role) or to a resource (a
/// function). Identity-based policies name no principal; resource-based policies must.
public enum PolicyKind: String, Sendable, Equatable {
    case identity
    case resource

    /// `identity-based` or `resource-based`, as AWS's messages say it.
    public var label: String {
        switch self {
        case .identity: return "identity-based"
        case .resource: return "resource-based"
        }
    }
}
