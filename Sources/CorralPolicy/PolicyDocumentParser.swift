/// Checks a JSON value against IAM's policy grammar and builds the `PolicyDocument`.
///
/// Every refusal is a `PolicyError` whose path names the element at fault.
struct PolicyDocumentParser {
    let kind: PolicyKind

    private static let documentKeys: Set<String> = ["Version", "Id", "Statement"]
    private static let statementKeys: Set<String> = [
        "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
    ]

    func document(_ value: JSONValue) throws(PolicyError) -> PolicyDocument {
        guard case let .object(members) = value else {
            throw .malformed(PolicyError.documentPath, "must be a JSON object, not \(value.typeName)")
        }
        try PolicyDocumentParser.refuseUnknownKeys(members, allowed: PolicyDocumentParser.documentKeys, prefix: "")
        let version = try optionalString(members, "Version", path: "Version")
        if let version, version != PolicyDocument.currentVersion, version != PolicyDocument.legacyVersion {
            throw .malformed("Version", "\"\(version)\" is not a policy-language version; use \"\(PolicyDocument.currentVersion)\"")
        }
        let id = try optionalString(members, "Id", path: "Id")
        guard let statementValue = members.first(where: { $0.key == "Statement" })?.value else {
            throw .malformed("Statement", "is required")
        }
        var statements: [PolicyStatement] = []
        switch statementValue {
        case .object:
            statements.append(try statement(statementValue, path: "Statement", variables: version == PolicyDocument.currentVersion))
        case let .array(items):
            for (index, item) in items.enumerated() {
                statements.append(try statement(item, path: "Statement[\(index)]", variables: version == PolicyDocument.currentVersion))
            }
        default:
            throw .malformed("Statement", "must be an object or a list of objects, not \(statementValue.typeName)")
        }
        var sids: Set<String> = []
        for (index, statement) in statements.enumerated() {
            guard let sid = statement.sid else { continue }
            guard sids.insert(sid).inserted else {
                let path = statementValue.isArray ? "Statement[\(index)].Sid" : "Statement.Sid"
                throw .malformed(path, "\"\(sid)\" is used by an earlier statement; Sids must be unique")
            }
        }
        return PolicyDocument(version: version, id: id, statements: statements)
    }

    private func statement(_ value: JSONValue, path: String, variables: Bool) throws(PolicyError) -> PolicyStatement {
        guard case let .object(members) = value else {
            throw .malformed(path, "must be an object, not \(value.typeName)")
        }
        try PolicyDocumentParser.refuseUnknownKeys(members, allowed: PolicyDocumentParser.statementKeys, prefix: "\(path).")
        let sid = try optionalString(members, "Sid", path: "\(path).Sid")
        guard let effectText = try optionalString(members, "Effect", path: "\(path).Effect") else {
            throw .malformed("\(path).Effect", "is required")
        }
        guard let effect = PolicyStatement.Effect(rawValue: effectText) else {
            throw .malformed("\(path).Effect", "\"\(effectText)\" is not Allow or Deny")
        }
        let actions = try pair(members, "Action", "NotAction", path: path) { (value, path) throws(PolicyError) in
            let list = try PolicyDocumentParser.stringList(value, path: path)
            for action in list where !PolicyDocumentParser.isActionPattern(action) {
                throw .malformed(path, "\"\(action)\" is not \"*\" or service:action")
            }
            return list
        }
        let resources = try pair(members, "Resource", "NotResource", path: path) { (value, path) throws(PolicyError) in
            let list = try PolicyDocumentParser.stringList(value, path: path)
            for resource in list where resource != "*" && !PolicyDocumentParser.isARNPattern(resource) {
                throw .malformed(path, "\"\(resource)\" is not \"*\" or an ARN")
            }
            return list
        }
        let principal = try principalElement(members, path: path)
        if case .negated? = principal, effect == .allow {
            throw .malformed("\(path).NotPrincipal", "can be used only with \"Effect\": \"Deny\"")
        }
        var conditions: [PolicyCondition] = []
        if let conditionValue = members.first(where: { $0.key == "Condition" })?.value {
            conditions = try ConditionParser(variables: variables).conditions(conditionValue, path: "\(path).Condition")
        }
        return PolicyStatement(sid: sid, effect: effect, principal: principal, actions: actions, resources: resources,
                               conditions: conditions)
    }

    private func principalElement(_ members: [JSONMember], path: String) throws(PolicyError) -> ElementMatch<PolicyPrincipal>? {
        let listed = members.first { $0.key == "Principal" }
        let negated = members.first { $0.key == "NotPrincipal" }
        switch kind {
        case .identity:
            if let found = listed ?? negated {
                throw .malformed("\(path).\(found.key)", "an identity-based policy cannot name a principal")
            }
            return nil
        case .resource:
            if listed != nil, negated != nil {
                throw .malformed("\(path).NotPrincipal", "a statement takes Principal or NotPrincipal, not both")
            }
            if let listed { return .listed(try PolicyPrincipal.parse(listed.value, path: "\(path).Principal")) }
            if let negated { return .negated(try PolicyPrincipal.parse(negated.value, path: "\(path).NotPrincipal")) }
            throw .malformed("\(path).Principal", "is required in a resource-based policy")
        }
    }

    /// Reads exactly one of an element and its `Not…` form.
    private func pair(
        _ members: [JSONMember], _ name: String, _ negatedName: String, path: String,
        read: (JSONValue, String) throws(PolicyError) -> [String]
    ) throws(PolicyError) -> ElementMatch<[String]> {
        let listed = members.first { $0.key == name }
        let negated = members.first { $0.key == negatedName }
        switch (listed, negated) {
        case let (listed?, nil): return .listed(try read(listed.value, "\(path).\(name)"))
        case let (nil, negated?): return .negated(try read(negated.value, "\(path).\(negatedName)"))
        case (.some, .some): throw .malformed("\(path).\(negatedName)", "a statement takes \(name) or \(negatedName), not both")
        case (nil, nil): throw .malformed("\(path).\(name)", "is required (or \(negatedName))")
        }
    }

    private func optionalString(_ members: [JSONMember], _ key: String, path: String) throws(PolicyError) -> String? {
        guard let value = members.first(where: { $0.key == key })?.value else { return nil }
        guard case let .string(text) = value else { throw .malformed(path, "must be a string, not \(value.typeName)") }
        return text
    }

    /// A string or a non-empty list of non-empty strings.
    static func stringList(_ value: JSONValue, path: String) throws(PolicyError) -> [String] {
        let items: [JSONValue]
        switch value {
        case .string: items = [value]
        case let .array(list): items = list
        default: throw .malformed(path, "must be a string or a list of strings, not \(value.typeName)")
        }
        guard !items.isEmpty else { throw .malformed(path, "must not be an empty list") }
        var strings: [String] = []
        for item in items {
            guard case let .string(text) = item else { throw .malformed(path, "must hold only strings, not \(item.typeName)") }
            guard !text.isEmpty else { throw .malformed(path, "must not hold an empty string") }
            strings.append(text)
        }
        return strings
    }

    private static func refuseUnknownKeys(_ members: [JSONMember], allowed: Set<String>, prefix: String) throws(PolicyError) {
        for member in members where !allowed.contains(member.key) {
            throw .malformed("\(prefix)\(member.key)", "is not a policy element")
        }
    }

    /// `*`, or `service:action` with a non-empty service and action and no whitespace.
    static func isActionPattern(_ text: String) -> Bool {
        if text == "*" { return true }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.contains(where: \.isWhitespace)
    }

    /// `arn:` followed by at least five colon-separated parts in all.
    static func isARNPattern(_ text: String) -> Bool {
        text.hasPrefix("arn:") && text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).count == 6
    }
}

extension JSONValue {
    /// True for a JSON list.
    var isArray: Bool {
        if case .array = self { return true }
        return false
    }
}

/// Reads a statement's Condition element: `{Operator: {Key: value | [values]}}`.
///
/// Values may be JSON strings, numbers or booleans and become the strings AWS compares. Operators must be
/// known; values are checked where IAM checks them (numbers, dates, booleans, base64, CIDR blocks).
struct ConditionParser {
    /// Whether the document's Version has policy variables (values holding `${...}` are then checked
    /// only where variables cannot appear).
    let variables: Bool

    func conditions(_ value: JSONValue, path: String) throws(PolicyError) -> [PolicyCondition] {
        guard case let .object(operators) = value else {
            throw .malformed(path, "must be an object, not \(value.typeName)")
        }
        var conditions: [PolicyCondition] = []
        for entry in operators {
            let operatorPath = "\(path).\(entry.key)"
            guard let conditionOperator = ConditionOperator(name: entry.key) else {
                throw .malformed(operatorPath, "unknown condition operator")
            }
            guard case let .object(keys) = entry.value else {
                throw .malformed(operatorPath, "must be an object of condition keys, not \(entry.value.typeName)")
            }
            guard !keys.isEmpty else { throw .malformed(operatorPath, "names no condition key") }
            for key in keys {
                let keyPath = "\(operatorPath).\(key.key)"
                guard !key.key.isEmpty else { throw .malformed(keyPath, "a condition key must not be empty") }
                let values = try ConditionParser.values(key.value, path: keyPath)
                for value in values {
                    if let problem = PolicyCondition.problem(with: value, for: conditionOperator.base.comparison,
                                                             variablesEnabled: variables) {
                        throw .malformed(keyPath, problem)
                    }
                }
                conditions.append(PolicyCondition(conditionOperator, key: key.key, values: values))
            }
        }
        return conditions
    }

    /// A scalar or a non-empty list of scalars, as strings.
    private static func values(_ value: JSONValue, path: String) throws(PolicyError) -> [String] {
        let items: [JSONValue]
        if case let .array(list) = value { items = list } else { items = [value] }
        guard !items.isEmpty else { throw .malformed(path, "must not be an empty list") }
        var values: [String] = []
        for item in items {
            switch item {
            case let .string(text): values.append(text)
            case let .number(text): values.append(text)
            case let .bool(flag): values.append(flag ? "true" : "false")
            default: throw .malformed(path, "a condition value must be a string, number or boolean, not \(item.typeName)")
            }
        }
        return values
    }
}
