import Foundation

/// Decides a statement's conditions against a request's context, as IAM documents it.
///
/// - Operators and keys are ANDed; a key's policy values are ORed, and for a negated operator
///   (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...) the request value must match none of them.
/// - A missing key makes a condition false, or true for a negated operator; `…IfExists` makes it true;
///   `ForAllValues:` is true and `ForAnyValue:` false when the request has no values for the key.
/// - With several request values and no qualifier, a plain operator holds when any request value
///   matches, and a negated one when no request value matches (the negation of the plain form).
/// - `Null` tests presence only (`true`: the key is missing), whatever its qualifier.
/// - A request value that cannot be read as the operator needs (a number, a date, an IP address,
///   base64, a boolean) leaves the condition undecided. An unresolved policy variable matches nothing,
///   except under a negated operator, where it leaves the condition undecided rather than widening it.
struct ConditionEvaluator {
    let context: ConditionContext
    /// The variable resolver, or nil when the document's Version has no policy variables.
    let variables: PolicyVariables?

    init(context: ConditionContext, variablesEnabled: Bool) {
        self.context = context
        variables = variablesEnabled ? PolicyVariables(context: context) : nil
    }

    func evaluate(_ condition: PolicyCondition) -> Truth {
        let conditionOperator = condition.conditionOperator
        let base = conditionOperator.base
        let requestValues = context.values(for: condition.key) ?? []
        if base == .null {
            return Truth.any(condition.values) { value in
                Truth(PolicyCondition.boolean(value) == requestValues.isEmpty)
            }
        }
        if requestValues.isEmpty {
            if conditionOperator.ifExists { return .yes }
            switch conditionOperator.qualifier {
            case .forAllValues?: return .yes
            case .forAnyValue?: return .no
            case nil: return Truth(base.isNegated)
            }
        }
        let passes = { (requestValue: String) -> Truth in
            let matched = Truth.any(condition.values) { policyValue in
                self.matches(requestValue, policyValue, base.comparison, negatedOperator: base.isNegated)
            }
            return base.isNegated ? matched.negated : matched
        }
        switch conditionOperator.qualifier {
        case .forAllValues?: return Truth.all(requestValues, passes)
        case .forAnyValue?: return Truth.any(requestValues, passes)
        case nil: return base.isNegated ? Truth.all(requestValues, passes) : Truth.any(requestValues, passes)
        }
    }

    /// Whether one request value matches one policy value under `comparison` (before any negation).
    private func matches(_ requestValue: String, _ policyValue: String, _ comparison: ConditionComparison,
                         negatedOperator: Bool) -> Truth {
        switch comparison {
        case let .string(ignoringCase):
            guard let pattern = pattern(policyValue, wildcards: false) else { return unresolved(negatedOperator) }
            let expected = pattern.text
            return Truth(ignoringCase ? expected.lowercased() == requestValue.lowercased() : expected == requestValue)
        case .stringLike:
            guard let pattern = pattern(policyValue, wildcards: true) else { return unresolved(negatedOperator) }
            return Truth(pattern.matches(requestValue))
        case .arn:
            guard let pattern = pattern(policyValue, wildcards: true) else { return unresolved(negatedOperator) }
            return Truth(PolicyMatching.arnMatches(pattern, requestValue))
        case .bool:
            guard let pattern = pattern(policyValue, wildcards: false) else { return unresolved(negatedOperator) }
            guard let expected = PolicyCondition.boolean(pattern.text), let actual = PolicyCondition.boolean(requestValue) else {
                return .undecided
            }
            return Truth(expected == actual)
        case let .numeric(relation):
            guard let actual = PolicyCondition.number(requestValue), let expected = PolicyCondition.number(policyValue) else {
                return .undecided
            }
            return Truth(ConditionEvaluator.holds(relation, actual, expected))
        case let .date(relation):
            guard let actual = PolicyDate.seconds(requestValue), let expected = PolicyDate.seconds(policyValue) else {
                return .undecided
            }
            return Truth(ConditionEvaluator.holds(relation, actual, expected))
        case .binary:
            guard let actual = Data(base64Encoded: requestValue), let expected = Data(base64Encoded: policyValue) else {
                return .undecided
            }
            return Truth(actual == expected)
        case .ipAddress:
            guard let range = IPAddressRange(cidr: policyValue), let inside = range.contains(requestValue) else {
                return .undecided
            }
            return Truth(inside)
        case .null:
            return .undecided
        }
    }

    /// The policy value as a pattern, variables substituted when the document has them; nil when a
    /// variable is unresolved.
    private func pattern(_ policyValue: String, wildcards: Bool) -> GlobPattern? {
        guard let variables else {
            return wildcards ? GlobPattern(glob: policyValue) : GlobPattern(literal: policyValue)
        }
        do {
            return try variables.pattern(policyValue, wildcards: wildcards)
        } catch {
            return nil
        }
    }

    /// What an unresolved variable yields: no match, or undecided under a negated operator.
    private func unresolved(_ negatedOperator: Bool) -> Truth {
        negatedOperator ? .undecided : .no
    }

    private static func holds(_ relation: ConditionComparison.Relation, _ actual: Double, _ expected: Double) -> Bool {
        switch relation {
        case .equal: return actual == expected
        case .less: return actual < expected
        case .lessOrEqual: return actual <= expected
        case .greater: return actual > expected
        case .greaterOrEqual: return actual >= expected
        }
    }
}
