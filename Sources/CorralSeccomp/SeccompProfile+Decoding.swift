// Strict decoding: unknown keys and unknown names are errors that say what was expected.
// `SeccompProfile.parse` turns the DecodingError into a SeccompProfileError naming the field.

extension SeccompProfile {
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        defaultAction = try c.decode(Action.self, forKey: .defaultAction)
        defaultErrnoRet = try c.decodeIfPresent(UInt32.self, forKey: .defaultErrnoRet)
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
        errnoRet = try c.decodeIfPresent(UInt32.self, forKey: .errnoRet)
        args = try c.decodeIfPresent([SeccompProfile.Argument].self, forKey: .args)
        comment = try c.decodeIfPresent(String.self, forKey: .comment)
    }
}

extension SeccompProfile.Argument {
    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decode(UInt32.self, forKey: .index)
        value = try c.decode(UInt64.self, forKey: .value)
        valueTwo = try c.decodeIfPresent(UInt64.self, forKey: .valueTwo)
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
