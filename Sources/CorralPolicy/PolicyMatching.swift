/// The four ways IAM matches a policy's text against a request: actions, the Resource element, ARN
/// conditions, and `StringLike`.
public enum PolicyMatching {
    /// Whether a policy's action pattern (`lambda:Get*`, `s3:?etObject`, `*`) matches a request's action
    /// (`lambda:GetFunction`). Case-insensitive; `*` and `?` are wildcards.
    public static func actionMatches(_ pattern: String, _ action: String) -> Bool {
        GlobPattern(glob: pattern).matches(action, ignoringCase: true)
    }

    /// Whether a Resource element entry matches a request's resource ARN, as IAM matches the Resource
    /// element: a case-sensitive glob over the whole ARN, in which `*` may span `/` and `:`.
    ///
    /// This form takes the entry as written; policy variables are substituted by the evaluator.
    public static func resourceMatches(_ pattern: String, _ resource: String) -> Bool {
        GlobPattern(glob: pattern).matches(resource)
    }

    /// Whether an `ArnLike`/`ArnEquals` pattern matches an ARN: each of the six colon-separated parts
    /// (split at the first five colons) is matched on its own, so a `*` never crosses a colon before the
    /// resource part. Case-sensitive. A pattern of only `*` matches any value.
    public static func arnMatches(_ pattern: String, _ value: String) -> Bool {
        arnMatches(GlobPattern(glob: pattern), value)
    }

    /// Whether a `StringLike` pattern matches a value: a case-sensitive glob with `*` and `?`.
    public static func stringLikeMatches(_ pattern: String, _ value: String) -> Bool {
        GlobPattern(glob: pattern).matches(value)
    }

    /// The ARN match over an already-built pattern (which may hold literal `*` from `${*}`).
    ///
    /// Pattern and value are cut at their first five colons; both must have the same number of parts
    /// (six for any ARN), and each part must match its counterpart.
    static func arnMatches(_ pattern: GlobPattern, _ value: String) -> Bool {
        if pattern.matchesEverything { return true }
        let patternParts = pattern.split(separator: ":", maxSplits: 5)
        let valueParts = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard patternParts.count == valueParts.count else { return false }
        return zip(patternParts, valueParts).allSatisfy { part, text in part.matches(String(text)) }
    }
}
