import Foundation

/// One test of a statement's Condition element: an operator, a condition key, and the key's values.
///
/// `{"StringEquals": {"aws:SourceAccount": "123456789012", "aws:PrincipalOrgID": ["o-a", "o-b"]}}` is two
/// conditions, one per key. Values are kept as the strings AWS compares: a JSON number keeps its source
/// text (`10`, `1.5`), a JSON boolean becomes `true` or `false`.
public struct PolicyCondition: Sendable, Equatable {
    public var conditionOperator: ConditionOperator
    /// The condition key as written; keys are compared case-insensitively.
    public var key: String
    /// The policy's values for the key: one of them must match (for a negated operator: none may).
    public var values: [String]

    public init(_ conditionOperator: ConditionOperator, key: String, values: [String]) {
        self.conditionOperator = conditionOperator
        self.key = key
        self.values = values
    }

    /// Why `value` is not acceptable for `comparison`, or nil when it is. Values holding a policy
    /// variable are checked only where variables are not substituted.
    static func problem(with value: String, for comparison: ConditionComparison, variablesEnabled: Bool) -> String? {
        let holdsVariable = variablesEnabled && comparison.takesVariables && value.contains("${")
        switch comparison {
        case .string, .stringLike, .arn:
            return nil
        case .numeric:
            return PolicyCondition.number(value) == nil ? "\"\(value)\" is not a number" : nil
        case .date:
            return PolicyDate.seconds(value) == nil ? "\"\(value)\" is not an ISO 8601 date or epoch seconds" : nil
        case .bool:
            return holdsVariable || PolicyCondition.boolean(value) != nil ? nil : "\"\(value)\" is not true or false"
        case .null:
            return PolicyCondition.boolean(value) != nil ? nil : "\"\(value)\" is not true or false"
        case .binary:
            return Data(base64Encoded: value) == nil ? "\"\(value)\" is not base64" : nil
        case .ipAddress:
            return IPAddressRange(cidr: value) == nil ? "\"\(value)\" is not an IP address or CIDR block" : nil
        }
    }

    /// A decimal number (`10`, `-2.5`, `1e3`); nil for anything else, `inf`, `nan` and hex included.
    static func number(_ text: String) -> Double? {
        var bytes = Substring(text).utf8[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let mantissa = bytes.prefix { isDigit($0) || $0 == UInt8(ascii: ".") }
        let dots = mantissa.filter { $0 == UInt8(ascii: ".") }.count
        guard dots <= 1, mantissa.contains(where: isDigit) else { return nil }
        var exponent = bytes.dropFirst(mantissa.count)
        if let marker = exponent.first {
            guard marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") else { return nil }
            exponent = exponent.dropFirst()
            if let sign = exponent.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, exponent.allSatisfy(isDigit) else { return nil }
        }
        return Double(text)
    }

    /// `true`/`false` in any case; nil otherwise.
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }
}
