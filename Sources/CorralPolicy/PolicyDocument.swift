/// An IAM policy document: a policy-language version, an optional id, and statements.
public struct PolicyDocument: Sendable, Equatable {
    /// The policy-language version that has policy variables.
    public static let currentVersion = "2012-10-17"
    /// The earlier version, in which `${...}` is literal text.
    public static let legacyVersion = "2008-10-17"
    /// IAM's limit for a managed identity policy, in characters not counting whitespace.
    public static let maximumIdentityPolicyCharacters = 6_144
    /// Lambda's limit for a function's resource policy, in bytes.
    public static let maximumResourcePolicyBytes = 20_480

    /// `2012-10-17`, `2008-10-17`, or nil when the document has no Version.
    public var version: String?
    public var id: String?
    public var statements: [PolicyStatement]

    public init(version: String? = PolicyDocument.currentVersion, id: String? = nil, statements: [PolicyStatement]) {
        self.version = version
        self.id = id
        self.statements = statements
    }

    /// Whether policy variables are substituted: only under Version `2012-10-17`.
    public var hasPolicyVariables: Bool {
        version == PolicyDocument.currentVersion
    }

    /// Parses a policy's JSON text and checks it against IAM's grammar for `kind`.
    ///
    /// The size limit is checked first: for `.identity`, `maximumIdentityPolicyCharacters` characters
    /// not counting whitespace; for `.resource`, `maximumResourcePolicyBytes` bytes of UTF-8. Errors carry
    /// the path of the offending element, such as `Statement[1].Condition.NumericLessThan.aws:EpochTime`
    /// (statements are numbered from 0; a Statement given as one object is just `Statement`).
    public static func parse(_ text: String, kind: PolicyKind) throws(PolicyError) -> PolicyDocument {
        switch kind {
        case .identity:
            let characters = text.unicodeScalars.reduce(0) { count, scalar in
                scalar.properties.isWhitespace ? count : count + 1
            }
            guard characters <= maximumIdentityPolicyCharacters else {
                throw PolicyError(.policyLengthExceeded, path: PolicyError.documentPath,
                                  message: "the policy has \(characters) characters not counting whitespace; the limit is \(maximumIdentityPolicyCharacters)")
            }
        case .resource:
            let bytes = text.utf8.count
            guard bytes <= maximumResourcePolicyBytes else {
                throw PolicyError(.policyLengthExceeded, path: PolicyError.documentPath,
                                  message: "the policy is \(bytes) bytes; the limit is \(maximumResourcePolicyBytes)")
            }
        }
        let value: JSONValue
        do {
            value = try JSONReader.parse(text)
        } catch {
            throw .malformed(PolicyError.documentPath,
                             "malformed JSON at line \(error.line), column \(error.column): \(error.message)")
        }
        return try PolicyDocumentParser(kind: kind).document(value)
    }

    /// The document as compact, deterministic JSON: keys in the order Version, Id, Statement; Statement
    /// always a list; each statement as `PolicyStatement.json()` writes it. `parse(json())` gives back an
    /// equal document.
    public func json() -> String {
        var members: [JSONMember] = []
        if let version { members.append(JSONMember("Version", .string(version))) }
        if let id { members.append(JSONMember("Id", .string(id))) }
        members.append(JSONMember("Statement", .array(statements.map(\.jsonValue))))
        return JSONValue.object(members).compactText
    }
}
