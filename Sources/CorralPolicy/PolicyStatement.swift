/// One statement of a policy document: an effect, the actions, resources and (in a resource policy) the
/// principals it covers, and the conditions under which it applies.
public struct PolicyStatement: Sendable, Equatable {
    /// `Allow` or `Deny`, spelled exactly so in JSON.
    public enum Effect: String, Sendable {
        case allow = "Allow"
        case deny = "Deny"
    }

    public var sid: String?
    public var effect: Effect
    /// Principal or NotPrincipal; nil in identity-based policies.
    public var principal: ElementMatch<PolicyPrincipal>?
    /// Action or NotAction: patterns such as `lambda:Get*`.
    public var actions: ElementMatch<[String]>
    /// Resource or NotResource: ARN patterns, or `*`.
    public var resources: ElementMatch<[String]>
    /// The Condition element, one entry per operator and key, in document order. All must hold.
    public var conditions: [PolicyCondition]

    /// A statement from its parts; no checks (`PolicyDocument.parse` does those).
    public init(
        sid: String? = nil,
        effect: Effect,
        principal: ElementMatch<PolicyPrincipal>? = nil,
        actions: ElementMatch<[String]>,
        resources: ElementMatch<[String]>,
        conditions: [PolicyCondition] = []
    ) {
        self.sid = sid
        self.effect = effect
        self.principal = principal
        self.actions = actions
        self.resources = resources
        self.conditions = conditions
    }

    /// The statement as compact JSON, keys in the order Sid, Effect, Principal, NotPrincipal, Action,
    /// NotAction, Resource, NotResource, Condition; single-element lists written as the element. This is
    /// the text AddPermission returns as `Statement`.
    public func json() -> String {
        jsonValue.compactText
    }

    var jsonValue: JSONValue {
        var members: [JSONMember] = []
        if let sid { members.append(JSONMember("Sid", .string(sid))) }
        members.append(JSONMember("Effect", .string(effect.rawValue)))
        switch principal {
        case let .listed(value)?: members.append(JSONMember("Principal", value.json))
        case let .negated(value)?: members.append(JSONMember("NotPrincipal", value.json))
        case nil: break
        }
        switch actions {
        case let .listed(list): members.append(JSONMember("Action", JSONValue.stringOrList(list)))
        case let .negated(list): members.append(JSONMember("NotAction", JSONValue.stringOrList(list)))
        }
        switch resources {
        case let .listed(list): members.append(JSONMember("Resource", JSONValue.stringOrList(list)))
        case let .negated(list): members.append(JSONMember("NotResource", JSONValue.stringOrList(list)))
        }
        if !conditions.isEmpty { members.append(JSONMember("Condition", conditionJSON)) }
        return .object(members)
    }

    /// `{Operator: {Key: value | [values]}}`, operators in order of first appearance.
    private var conditionJSON: JSONValue {
        var operators: [ConditionOperator] = []
        var keys: [ConditionOperator: [JSONMember]] = [:]
        for condition in conditions {
            if keys[condition.conditionOperator] == nil { operators.append(condition.conditionOperator) }
            keys[condition.conditionOperator, default: []].append(JSONMember(condition.key, JSONValue.stringOrList(condition.values)))
        }
        return .object(operators.map { JSONMember($0.name, .object(keys[$0] ?? [])) })
    }
}

/// An element that lists what it covers (`Action`, `Resource`, `Principal`) or, in its `Not…` form, covers
/// everything except what it lists.
public enum ElementMatch<Value: Sendable & Equatable>: Sendable, Equatable {
    /// `Action`, `Resource`, `Principal`: covers what is listed.
    case listed(Value)
    /// `NotAction`, `NotResource`, `NotPrincipal`: covers everything else.
    case negated(Value)

    /// The listed value, whichever the form.
    public var value: Value {
        switch self {
        case let .listed(value), let .negated(value): return value
        }
    }

    /// True for the `Not…` form.
    public var isNegated: Bool {
        if case .negated = self { return true }
        return false
    }
}
