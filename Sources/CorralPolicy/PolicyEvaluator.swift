/// Evaluates a request against identity-based policies and a resource-based policy as AWS documents it.
///
/// 1. Any applicable Deny in any policy is an explicit deny.
/// 2. Same account (the principal's account owns the resource): an Allow in an identity policy or in the
///    resource policy allows. The account's root principal is allowed without one, as in AWS.
/// 3. Cross-account: it takes an Allow in an identity policy and an Allow in the resource policy that
///    names the principal. An account root's identity side is satisfied without a statement.
/// 4. A service principal has no identity side: the resource policy must allow it.
/// 5. Anything else is an implicit deny.
///
/// A statement whose evaluation cannot be decided (see `ConditionEvaluator`) never allows, and, being
/// conservative, does deny when its Effect is Deny. The argument a policy is passed in decides how it is
/// treated and reported (identity-based or resource-based), whatever its `NamedPolicy.kind`.
///
/// `evaluate` names the statements that decided; `simulate` also lists every statement that matched.
public enum PolicyEvaluator {
    /// The decision for `request` under `identityPolicies` (the caller's) and `resourcePolicy` (the
    /// resource's, if it has one), naming the statements that decided it.
    public static func evaluate(
        _ request: AuthorizationRequest,
        identityPolicies: [NamedPolicy],
        resourcePolicy: NamedPolicy?
    ) -> Decision {
        evaluate(request, identityPolicies: identityPolicies, resourcePolicy: resourcePolicy, everyStatement: false).decision
    }

    /// The decision for `request`, as `evaluate` gives it, and every statement that applied or could not
    /// be decided (a policy simulator's "matched statements"). Slower than `evaluate`: it tests every
    /// statement, where `evaluate` stops looking for an effect once it has found one.
    public static func simulate(
        _ request: AuthorizationRequest,
        identityPolicies: [NamedPolicy],
        resourcePolicy: NamedPolicy?
    ) -> PolicySimulation {
        evaluate(request, identityPolicies: identityPolicies, resourcePolicy: resourcePolicy, everyStatement: true)
    }

    private static func evaluate(_ request: AuthorizationRequest, identityPolicies: [NamedPolicy], resourcePolicy: NamedPolicy?,
                                 everyStatement: Bool) -> PolicySimulation {
        let matcher = StatementMatcher(request: request)
        let identity = scan(identityPolicies, kind: .identity, matcher: matcher, everyStatement: everyStatement)
        let resource = scan(resourcePolicy.map { [$0] } ?? [], kind: .resource, matcher: matcher, everyStatement: everyStatement)
        return PolicySimulation(decision: decide(request, identity: identity, resource: resource),
                                matchedStatements: identity.matched + resource.matched)
    }

    /// The decision from the first applicable Deny and Allow of each side.
    private static func decide(_ request: AuthorizationRequest, identity: Scan, resource: Scan) -> Decision {
        if let deny = identity.deny ?? resource.deny {
            return Decision(effect: .explicitDeny, statements: [deny])
        }
        switch request.principal {
        case .service:
            if let allow = resource.allow { return Decision(effect: .allow, statements: [allow]) }
            return Decision(effect: .implicitDeny, missingAllow: .resource)
        case .iam:
            let root = request.principal.isAccountRoot
            if request.isSameAccount {
                if let allow = identity.allow ?? resource.allow { return Decision(effect: .allow, statements: [allow]) }
                if root { return Decision(effect: .allow) }
                return Decision(effect: .implicitDeny, missingAllow: .identity)
            }
            guard identity.allow != nil || root else { return Decision(effect: .implicitDeny, missingAllow: .identity) }
            guard let grant = resource.allow else { return Decision(effect: .implicitDeny, missingAllow: .resource) }
            return Decision(effect: .allow, statements: [identity.allow, grant].compactMap { $0 })
        }
    }

    /// What scanning one side's policies found.
    private struct Scan {
        /// The first applicable Deny (an undecided one included) and the first applicable Allow.
        var deny: DecidingStatement?
        var allow: DecidingStatement?
        /// Every statement that applied or was undecided, in document order; only when every statement
        /// was tested.
        var matched: [MatchedStatement] = []
    }

    /// Scans `policies` of `kind`; statements of resource-based policies must also name the principal.
    /// Without `everyStatement`, a statement whose effect has already been found is skipped.
    private static func scan(_ policies: [NamedPolicy], kind: PolicyKind, matcher: StatementMatcher,
                             everyStatement: Bool) -> Scan {
        var found = Scan()
        for policy in policies {
            let variables = policy.document.hasPolicyVariables
            for (index, statement) in policy.document.statements.enumerated() {
                let wanted = statement.effect == .deny ? found.deny == nil : found.allow == nil
                guard wanted || everyStatement else { continue }
                let applies = matcher.applies(statement, variablesEnabled: variables, checksPrincipal: kind == .resource)
                guard applies != .no else { continue }
                let identified = DecidingStatement(policyName: policy.name, policyKind: kind, index: index,
                                                   sid: statement.sid, effect: statement.effect)
                if everyStatement {
                    found.matched.append(MatchedStatement(statement: identified, isUndecided: applies == .undecided))
                }
                switch (statement.effect, applies) {
                case (.deny, _): if found.deny == nil { found.deny = identified }
                case (.allow, .yes): if found.allow == nil { found.allow = identified }
                default: break
                }
            }
        }
        return found
    }
}

/// Decides whether one statement applies to a request: its Action/NotAction, Resource/NotResource,
/// Principal/NotPrincipal (resource policies only) and every condition must all match.
struct StatementMatcher {
    let request: AuthorizationRequest

    /// Whether `statement` applies. `variablesEnabled` follows the document's Version; `checksPrincipal`
    /// is true for resource-based policies, where a statement without a principal never applies.
    func applies(_ statement: PolicyStatement, variablesEnabled: Bool, checksPrincipal: Bool) -> Truth {
        guard actionMatches(statement.actions) else { return .no }
        if checksPrincipal {
            guard let principal = statement.principal, principalMatches(principal) else { return .no }
        }
        let resource = resourceMatches(statement.resources, variablesEnabled: variablesEnabled)
        if resource == .no { return .no }
        let evaluator = ConditionEvaluator(context: request.context, variablesEnabled: variablesEnabled)
        let conditions = Truth.all(statement.conditions) { evaluator.evaluate($0) }
        return Truth.all([resource, conditions]) { $0 }
    }

    private func actionMatches(_ actions: ElementMatch<[String]>) -> Bool {
        let listed = actions.value.contains { PolicyMatching.actionMatches($0, request.action) }
        return actions.isNegated ? !listed : listed
    }

    private func principalMatches(_ principal: ElementMatch<PolicyPrincipal>) -> Bool {
        switch principal {
        case let .listed(value): return value.names(request.principal)
        case let .negated(value): return !value.exempts(request.principal)
        }
    }

    /// Resource entries with variables substituted after the fifth colon. An entry whose variable is
    /// unresolved matches nothing in Resource, and leaves NotResource undecided (so it cannot widen an
    /// Allow).
    private func resourceMatches(_ resources: ElementMatch<[String]>, variablesEnabled: Bool) -> Truth {
        let variables = variablesEnabled ? PolicyVariables(context: request.context) : nil
        let listed = Truth.any(resources.value) { entry in
            guard let variables else { return Truth(PolicyMatching.resourceMatches(entry, request.resource)) }
            do {
                return Truth(try variables.resourcePattern(entry).matches(request.resource))
            } catch {
                return resources.isNegated ? .undecided : .no
            }
        }
        return resources.isNegated ? listed.negated : listed
    }
}
