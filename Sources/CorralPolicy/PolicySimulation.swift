/// What `PolicyEvaluator.simulate` reports: the decision, and every statement that matched the request,
/// as IAM's policy simulator lists its matched statements.
public struct PolicySimulation: Sendable, Equatable {
    /// The decision, the same `PolicyEvaluator.evaluate` gives.
    public let decision: Decision
    /// Every statement whose Action, Resource, Principal (resource-based policies) and Condition all
    /// matched, or could not be decided: identity policies in the order given, then the resource policy,
    /// each in document order. The deciding statements are among them.
    public let matchedStatements: [MatchedStatement]

    public init(decision: Decision, matchedStatements: [MatchedStatement]) {
        self.decision = decision
        self.matchedStatements = matchedStatements
    }

    /// Whether `matched` is one of the statements that decided.
    public func isDeciding(_ matched: MatchedStatement) -> Bool {
        decision.statements.contains(matched.statement)
    }
}

/// A statement that matched a request.
public struct MatchedStatement: Sendable, Equatable, CustomStringConvertible {
    /// Which statement of which policy, and its effect.
    public let statement: DecidingStatement
    /// True when a condition could not be decided (a request value that is not a number, a date or an IP
    /// address where the operator needs one; an unresolved variable under a negated operator). Such a
    /// Deny still denies; such an Allow never allows.
    public let isUndecided: Bool

    public init(statement: DecidingStatement, isUndecided: Bool = false) {
        self.statement = statement
        self.isUndecided = isUndecided
    }

    /// The statement's description, with `(undecided)` when it is.
    public var description: String {
        statement.description + (isUndecided ? " (undecided)" : "")
    }
}
