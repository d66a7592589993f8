// Strict decoding: unknown keys and unknown names are errors that say what was expected.
// `SeccompProfile.parse` turns the DecodingError into a SeccompProfileError naming the field.

extension SeccompProfile {
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        defaultAction = try c.decode(Action.self, forKey: .defaultAction)
        defaultErrnoRet = try decodeNumber(c, .defaultErrnoRet, as: UInt32.self)
        badArchAction = try c.decodeIfPresent(Action.self, forKey: .badArchAction)
        architectures = try c.decodeIfPresent([Architecture].self, forKey: .architectures)
        syscalls = try c.decodeIfPresent([Rule].self, forKey: .syscalls) ?? []
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
    }
}

extension SeccompProfile.Rule {
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        names = try c.decode([String].self, forKey: .names)
        action = try c.decode(SeccompProfile.Action.self, forKey: .action)
        errnoRet = try decodeNumber(c, .errnoRet, as: UInt32.self)
        args = try c.decodeIfPresent([SeccompProfile.Argument].self, forKey: .args)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
    }
}

extension SeccompProfile.Argument {
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try decodeNumber(c, .index, as: UInt32.self, required: true) ?? 0
        value = try decodeNumber(c, .value, as: UInt64.self, required: true) ?? 0
        valueTwo = try decodeNumber(c, .valueTwo, as: UInt64.self)
        op = try c.decode(SeccompProfile.Operator.self, forKey: .op)
    }
}

extension SeccompProfile.Action {
    public init(from decoder: any Decoder) throws {
        self = try decodeName(from: decoder, kind: "action")
    }
}

extension SeccompProfile.Operator {
    public init(from decoder: any Decoder) throws {
        self = try decodeName(from: decoder, kind: "operator")
    }
}

extension SeccompProfile.Architecture {
    public init(from decoder: any Decoder) throws {
        self = try decodeName(from: decoder, kind: "architecture")
    }
}

/// Decodes an unsigned number. JSONDecoder reports an out-of-range number (say -1 for a UInt32) as
/// "not valid JSON" with no coding path; this names the field and the range instead.
private func decodeNumber<K: CodingKey, T: FixedWidthInteger & UnsignedInteger & Decodable>(
    _ c: KeyedDecodingContainer<K>, _ key: K, as type: T.Type, required: Bool = false
) throws -> T? {
    guard c.contains(key) else {
        if required {
            throw DecodingError.keyNotFound(key, .init(codingPath: c.codingPath, debugDescription: "missing"))
        }
        return nil
    }
    if let value = try? c.decode(T.self, forKey: key) { return value }
    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected a whole number from 0 to \(T.max)")
}

/// Decodes a string-named enum case, or fails with a message listing the accepted names.
private func decodeName<T: RawRepresentable & CaseIterable>(from decoder: any Decoder, kind: String) throws -> T
where T.RawValue == String {
    let c = try decoder.singleValueContainer()
    let name = try c.decode(String.self)
    if let value = T(rawValue: name) { return value }
    let accepted = T.allCases.map(\.rawValue).joined(separator: ", ")
    throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown \(kind) \"\(name)\" (expected one of \(accepted))")
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws when the object holds a key `Keys` does not name, so a misspelt field is not silently ignored.
private func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(in decoder: any Decoder, allowed: Keys.Type) throws {
    let known = Set(Keys.allCases.map(\.stringValue))
    let c = try decoder.container(keyedBy: AnyKey.self)
    for key in c.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath + [key],
            debugDescription: "unknown field \"\(key.stringValue)\" (expected one of \(Keys.allCases.map(\.stringValue).sorted().joined(separator: ", ")))"))
    }
}
