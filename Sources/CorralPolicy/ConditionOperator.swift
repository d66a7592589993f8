/// A condition operator as written in a policy: an optional set qualifier (`ForAnyValue:`,
/// `ForAllValues:`), a base operator (`StringLike`), and an optional `IfExists` suffix.
///
/// Names are read case-insensitively and written back in IAM's spelling (`ForAnyValue:StringLikeIfExists`).
public struct ConditionOperator: Sendable, Hashable, CustomStringConvertible {
    /// The operators IAM defines.
    public enum Base: String, Sendable, CaseIterable {
        case stringEquals = "StringEquals"
        case stringNotEquals = "StringNotEquals"
        case stringEqualsIgnoreCase = "StringEqualsIgnoreCase"
        case stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
        case stringLike = "StringLike"
        case stringNotLike = "StringNotLike"
        case numericEquals = "NumericEquals"
        case numericNotEquals = "NumericNotEquals"
        case numericLessThan = "NumericLessThan"
        case numericLessThanEquals = "NumericLessThanEquals"
        case numericGreaterThan = "NumericGreaterThan"
        case numericGreaterThanEquals = "NumericGreaterThanEquals"
        case dateEquals = "DateEquals"
        case dateNotEquals = "DateNotEquals"
        case dateLessThan = "DateLessThan"
        case dateLessThanEquals = "DateLessThanEquals"
        case dateGreaterThan = "DateGreaterThan"
        case dateGreaterThanEquals = "DateGreaterThanEquals"
        case bool = "Bool"
        case binaryEquals = "BinaryEquals"
        case ipAddress = "IpAddress"
        case notIpAddress = "NotIpAddress"
        case arnEquals = "ArnEquals"
        case arnLike = "ArnLike"
        case arnNotEquals = "ArnNotEquals"
        case arnNotLike = "ArnNotLike"
        case null = "Null"

        /// True for the operators whose values combine as "matches none of them", and which are true
        /// when the key is missing.
        public var isNegated: Bool {
            switch self {
            case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .dateNotEquals,
                 .notIpAddress, .arnNotEquals, .arnNotLike:
                return true
            default:
                return false
            }
        }

        /// The comparison a request value and a policy value go through (for a negated operator, the
        /// comparison it negates).
        var comparison: ConditionComparison {
            switch self {
            case .stringEquals, .stringNotEquals: return .string(ignoringCase: false)
            case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase: return .string(ignoringCase: true)
            case .stringLike, .stringNotLike: return .stringLike
            case .numericEquals, .numericNotEquals: return .numeric(.equal)
            case .numericLessThan: return .numeric(.less)
            case .numericLessThanEquals: return .numeric(.lessOrEqual)
            case .numericGreaterThan: return .numeric(.greater)
            case .numericGreaterThanEquals: return .numeric(.greaterOrEqual)
            case .dateEquals, .dateNotEquals: return .date(.equal)
            case .dateLessThan: return .date(.less)
            case .dateLessThanEquals: return .date(.lessOrEqual)
            case .dateGreaterThan: return .date(.greater)
            case .dateGreaterThanEquals: return .date(.greaterOrEqual)
            case .bool: return .bool
            case .binaryEquals: return .binary
            case .ipAddress, .notIpAddress: return .ipAddress
            case .arnEquals, .arnLike, .arnNotEquals, .arnNotLike: return .arn
            case .null: return .null
            }
        }
    }

    /// How a condition treats a key with several values in the request.
    public enum SetQualifier: String, Sendable {
        /// True when at least one request value passes; false when the request has none.
        case forAnyValue = "ForAnyValue"
        /// True when every request value passes; true when the request has none.
        case forAllValues = "ForAllValues"
    }

    public let base: Base
    /// `…IfExists`: a missing key makes the condition true.
    public let ifExists: Bool
    public let qualifier: SetQualifier?

    /// An operator from its parts. `Null` takes no `IfExists`; such a combination is written but never
    /// produced by parsing.
    public init(_ base: Base, ifExists: Bool = false, qualifier: SetQualifier? = nil) {
        self.base = base
        self.ifExists = ifExists
        self.qualifier = qualifier
    }

    /// Reads an operator name such as `ForAllValues:StringLikeIfExists`; nil for an unknown operator or
    /// for `NullIfExists`.
    public init?(name: String) {
        var rest = Substring(name)
        var qualifier: SetQualifier?
        if let colon = rest.firstIndex(of: ":") {
            let prefix = rest[rest.startIndex..<colon].lowercased()
            guard let found = [SetQualifier.forAnyValue, .forAllValues].first(where: { $0.rawValue.lowercased() == prefix }) else {
                return nil
            }
            qualifier = found
            rest = rest[rest.index(after: colon)...]
        }
        var ifExists = false
        if rest.lowercased().hasSuffix("ifexists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        let lowered = rest.lowercased()
        guard let base = Base.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        if base == .null && ifExists { return nil }
        self.init(base, ifExists: ifExists, qualifier: qualifier)
    }

    /// The operator's name in IAM's spelling.
    public var name: String {
        (qualifier.map { $0.rawValue + ":" } ?? "") + base.rawValue + (ifExists ? "IfExists" : "")
    }

    public var description: String { name }
}

/// What a condition compares, independent of negation.
enum ConditionComparison: Equatable {
    enum Relation: Equatable {
        case equal, less, lessOrEqual, greater, greaterOrEqual
    }

    case string(ignoringCase: Bool)
    case stringLike
    case numeric(Relation)
    case date(Relation)
    case bool
    case binary
    case ipAddress
    case arn
    case null

    /// Whether policy variables are substituted into this comparison's policy values: IAM allows them
    /// with the String, ARN and Bool operators.
    var takesVariables: Bool {
        switch self {
        case .string, .stringLike, .arn, .bool: return true
        default: return false
        }
    }
}
