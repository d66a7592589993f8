/// A three-valued result: a test held, did not, or could not be decided (a request value that is not a
/// number for a Numeric operator, an unresolved variable where "no match" would widen a grant).
///
/// Combined with Kleene's rules: `all` is false if anything is false, else undecided if anything is;
/// `any` is true if anything is true, else undecided if anything is. The evaluator never lets an
/// undecided statement allow, and lets an undecided Deny deny.
enum Truth: Sendable, Equatable {
    case yes
    case no
    case undecided

    init(_ flag: Bool) {
        self = flag ? .yes : .no
    }

    /// The negation; undecided stays undecided.
    var negated: Truth {
        switch self {
        case .yes: return .no
        case .no: return .yes
        case .undecided: return .undecided
        }
    }

    /// True for every item, computed lazily; stops at the first `.no`.
    static func all<S: Sequence>(_ items: S, _ test: (S.Element) -> Truth) -> Truth {
        var result = Truth.yes
        for item in items {
            switch test(item) {
            case .no: return .no
            case .undecided: result = .undecided
            case .yes: continue
            }
        }
        return result
    }

    /// True for some item, computed lazily; stops at the first `.yes`.
    static func any<S: Sequence>(_ items: S, _ test: (S.Element) -> Truth) -> Truth {
        var result = Truth.no
        for item in items {
            switch test(item) {
            case .yes: return .yes
            case .undecided: result = .undecided
            case .no: continue
            }
        }
        return result
    }
}
