/// What a request's FunctionName names, in any of the forms Lambda accepts: `my-fn`, `my-fn:prod`,
/// `123456789012:function:my-fn[:qualifier]` or `arn:aws:lambda:us-east-1:123456789012:function:my-fn[:qualifier]`.
///
/// Parsing checks the form only; whether the account and region are the caller's is the API's decision.
public struct FunctionReference: Equatable, Hashable, Sendable {
    /// The account of a (partial) ARN; nil for a bare name.
    public var account: String?
    /// The region of a full ARN; nil otherwise.
    public var region: String?
    public var name: String
    /// `$LATEST`, a version number or an alias name; nil when unqualified.
    public var qualifier: String?

    public init(account: String? = nil, region: String? = nil, name: String, qualifier: String? = nil) {
        self.account = account
        self.region = region
        self.name = name
        self.qualifier = qualifier
    }

    /// Longest FunctionName Lambda accepts in a path (a full ARN with a qualifier).
    public static let maximumLength = 170

    /// Parses a FunctionName (already percent-decoded). Throws `FunctionSpecError.invalid("FunctionName", ...)`.
    public static func parse(_ text: String) throws(FunctionSpecError) -> FunctionReference {
        guard !text.isEmpty, text.utf8.count <= maximumLength else {
            throw .invalid("FunctionName", "must be 1 to \(maximumLength) characters")
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let count = parts.count
        var reference: FunctionReference
        if count <= 2 && parts[0] != "arn" {
            reference = FunctionReference(name: parts[0], qualifier: count == 2 ? parts[1] : nil)
        } else if (count == 3 || count == 4) && parts[1] == "function" {
            guard FunctionNames.isAccountID(parts[0]) else { throw .invalid("FunctionName", "'\(parts[0])' is not a 12-digit account id") }
            reference = FunctionReference(account: parts[0], name: parts[2], qualifier: count == 4 ? parts[3] : nil)
        } else if (count == 7 || count == 8) && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
            guard parts[1].hasPrefix("aws") else { throw .invalid("FunctionName", "unknown partition '\(parts[1])'") }
            guard FunctionNames.isRegion(parts[3]) else { throw .invalid("FunctionName", "'\(parts[3])' is not a region") }
            guard FunctionNames.isAccountID(parts[4]) else { throw .invalid("FunctionName", "'\(parts[4])' is not a 12-digit account id") }
            reference = FunctionReference(account: parts[4], region: parts[3], name: parts[6], qualifier: count == 8 ? parts[7] : nil)
        } else {
            throw .invalid("FunctionName", "'\(text)' is not a function name, name:qualifier, or function ARN")
        }
        guard FunctionNames.isFunctionName(reference.name) else {
            throw .invalid("FunctionName", "'\(reference.name)' must be 1 to 64 letters, digits, hyphens or underscores")
        }
        if let qualifier = reference.qualifier {
            guard FunctionNames.isQualifier(qualifier) else {
                throw .invalid("Qualifier", "'\(qualifier)' is not $LATEST, a version number or an alias name")
            }
        }
        return reference
    }

    /// The reference with `qualifier` applied from a `Qualifier` query parameter. Lambda refuses a
    /// Qualifier that disagrees with one inside FunctionName.
    public func qualified(by parameter: String?) throws(FunctionSpecError) -> FunctionReference {
        guard let parameter else { return self }
        guard FunctionNames.isQualifier(parameter) else {
            throw .invalid("Qualifier", "'\(parameter)' is not $LATEST, a version number or an alias name")
        }
        if let qualifier, qualifier != parameter {
            throw .invalid("Qualifier", "the qualifier in FunctionName (\(qualifier)) and the Qualifier parameter (\(parameter)) differ")
        }
        var copy = self
        copy.qualifier = parameter
        return copy
    }
}

/// The function ARN Lambda shows: `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
public struct FunctionARN: Equatable, Sendable, CustomStringConvertible {
    public var region: String
    public var account: String
    public var name: String
    public var qualifier: String?

    public init(region: String, account: String, name: String, qualifier: String? = nil) {
        self.region = region
        self.account = account
        self.name = name
        self.qualifier = qualifier
    }

    public var description: String {
        "arn:aws:lambda:\(region):\(account):function:\(name)" + (qualifier.map { ":" + $0 } ?? "")
    }
}
