/// Substitutes IAM policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`) into
/// Resource entries and condition values.
///
/// Variables exist only in documents whose Version is `2012-10-17`; elsewhere `${...}` is literal text.
/// A variable's key is looked up case-insensitively; it resolves when the key has exactly one value
/// (IAM does not substitute multivalued keys), else to its default when one is given. `${*}`, `${?}` and
/// `${$}` are the literal characters. Substituted text is always literal: a `*` in a user name is not a
/// wildcard. Text that starts `${` but is not a well-formed variable stays literal.
struct PolicyVariables: Sendable {
    /// The context variables resolve from.
    let context: ConditionContext

    /// Why a substitution failed: a variable with no value and no default.
    struct Unresolved: Error, Equatable {
        var variable: String
    }

    /// `text` as a pattern with variables substituted. With `wildcards`, unescaped `*` and `?` in the
    /// policy text are wildcards; otherwise every character is literal. Throws when a variable has no
    /// value and no default.
    func pattern(_ text: String, wildcards: Bool) throws(Unresolved) -> GlobPattern {
        var elements: [GlobPattern.Element] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            elements += PolicyVariables.plain(rest[rest.startIndex..<start.lowerBound], wildcards: wildcards)
            let afterOpen = rest[start.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}"),
                  let replacement = try resolve(afterOpen[afterOpen.startIndex..<close])
            else {
                elements += PolicyVariables.plain(rest[start.lowerBound..<start.upperBound], wildcards: wildcards)
                rest = afterOpen
                continue
            }
            elements += replacement.map { .literal($0) }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        elements += PolicyVariables.plain(rest, wildcards: wildcards)
        return GlobPattern(elements: elements)
    }

    /// A Resource entry as a pattern: variables are substituted only after the fifth colon, the part of
    /// an ARN that names the resource. `*` and `?` are wildcards throughout.
    func resourcePattern(_ text: String) throws(Unresolved) -> GlobPattern {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return GlobPattern(glob: text) }
        let prefix = parts[0..<5].joined(separator: ":") + ":"
        let resource = try pattern(String(parts[5]), wildcards: true)
        return GlobPattern(elements: GlobPattern(glob: prefix).elements + resource.elements)
    }

    /// The text a variable body (between `${` and `}`) stands for; nil when the body is not a well-formed
    /// variable, so the caller keeps it as literal text.
    private func resolve(_ body: Substring) throws(Unresolved) -> String? {
        switch body {
        case "*", "?", "$": return String(body)
        default: break
        }
        var name = body
        var fallback: String?
        if let comma = body.firstIndex(of: ",") {
            name = body[body.startIndex..<comma]
            let quoted = body[body.index(after: comma)...].trimmingSpaces()
            guard quoted.count >= 2, quoted.first == "'", quoted.last == "'" else { return nil }
            fallback = String(quoted.dropFirst().dropLast())
        }
        let key = name.trimmingSpaces()
        guard !key.isEmpty, !key.contains(where: { "'${".contains($0) }) else { return nil }
        if let values = context.values(for: String(key)), values.count == 1 { return values[0] }
        if let fallback { return fallback }
        throw Unresolved(variable: "${\(body)}")
    }

    /// Policy text outside any variable.
    private static func plain(_ text: Substring, wildcards: Bool) -> [GlobPattern.Element] {
        wildcards ? GlobPattern(glob: String(text)).elements : GlobPattern(literal: String(text)).elements
    }
}

extension Substring {
    /// The text without leading and trailing spaces.
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }
}
