/// A JSON value as policy documents need it: objects keep their members in document order, numbers keep
/// their source text, and booleans stay distinct from numbers.
///
/// Foundation's JSONSerialization loses all three (and on Linux cannot tell `true` from `1`), so the policy
/// engine reads and writes its documents with `JSONReader` and `compactText`.
enum JSONValue: Sendable, Equatable {
    case string(String)
    /// The number exactly as written (`10`, `1.50`, `2e3`).
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONMember])

    /// The name of the value's JSON type, for error messages.
    var typeName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The value written compactly (no whitespace), members in their stored order.
    var compactText: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case let .string(text):
            JSONValue.writeString(text, to: &out)
        case let .number(text):
            out += text
        case let .bool(flag):
            out += flag ? "true" : "false"
        case .null:
            out += "null"
        case let .array(items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                JSONValue.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// `text` as a JSON string literal (see writeString).
    static func quoted(_ text: String) -> String {
        // Most texts (ARNs, actions, key ids) need no escaping: copied as they are.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        var out = ""
        writeString(text, to: &out)
        return out
    }

    /// Writes `text` as a JSON string: quotes, backslashes and control characters escaped; `/` and
    /// non-ASCII characters written as they are.
    private static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16, uppercase: false)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// A string value, or a list of string values when there is more than one: how IAM and Lambda write
    /// single-element lists.
    static func stringOrList(_ values: [String]) -> JSONValue {
        values.count == 1 ? .string(values[0]) : .array(values.map { .string($0) })
    }
}

/// One `"key": value` member of a JSON object.
struct JSONMember: Sendable, Equatable {
    var key: String
    var value: JSONValue

    init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// JSON text for callers outside the policy engine (the audit log writes its lines by hand).
public enum JSONText {
    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String { JSONValue.quoted(text) }
}
