/// The value of a statement's Principal or NotPrincipal element.
///
/// `"*"` is `.anyone`; an object such as `{"AWS": [...], "Service": "s3.amazonaws.com"}` is `.listed`, its
/// entries in document order. Parsing writes a bare account id in an `AWS` entry as the account's root
/// ARN (`arn:aws:iam::123456789012:root`), as AWS stores it.
public enum PolicyPrincipal: Sendable, Equatable {
    /// `"*"`: every caller, anonymous ones included.
    case anyone
    /// Principals by type.
    case listed([PrincipalEntry])

    /// Whether a Principal element with this value names the request's principal.
    ///
    /// `*` (as the element or as an `AWS` value) matches everyone; an account's root ARN matches every
    /// IAM principal of that account; any other `AWS` ARN matches exactly that principal; a `Service`
    /// entry matches only that service. `Federated` and `CanonicalUser` entries match no Corral caller.
    func names(_ principal: RequestPrincipal) -> Bool {
        guard case let .listed(entries) = self else { return true }
        return entries.contains { entry in
            entry.values.contains { value in
                switch entry.type {
                case .aws:
                    if value == "*" { return true }
                    guard case let .iam(arn, account) = principal else { return false }
                    if let listed = ARN(value), listed.isAccountRoot { return listed.account == account }
                    // A role's ARN names every session of the role, as in AWS.
                    return value == arn || value == RequestPrincipal.roleARN(ofSession: arn)
                case .service:
                    if case let .service(name) = principal { return value.lowercased() == name.lowercased() }
                    return false
                case .federated, .canonicalUser:
                    return false
                }
            }
        }
    }

    /// Whether a NotPrincipal element with this value exempts the request's principal.
    ///
    /// As AWS documents, a principal is exempt only when it and its account are both listed: an IAM
    /// user or role needs its own ARN and its account (root ARN or id) in the element; an account's root
    /// needs its root ARN; a service needs its name. Matching is exact here: an account's root ARN does
    /// not stand for the account's users.
    func exempts(_ principal: RequestPrincipal) -> Bool {
        guard case let .listed(entries) = self else { return true }
        func listed(_ type: PrincipalType, _ wanted: String) -> Bool {
            entries.contains { entry in
                entry.type == type && entry.values.contains { $0 == "*" || $0.lowercased() == wanted.lowercased() }
            }
        }
        switch principal {
        case let .iam(arn, account):
            let root = ARN(arn).map { ARN.accountRoot(account, partition: $0.partition) } ?? ARN.accountRoot(account)
            return listed(.aws, arn) && listed(.aws, root.description)
        case let .service(name):
            return listed(.service, name)
        }
    }
}

/// The kinds of principal a policy can name.
public enum PrincipalType: String, Sendable, CaseIterable {
    case aws = "AWS"
    case service = "Service"
    case federated = "Federated"
    case canonicalUser = "CanonicalUser"
}

/// One `"Type": value | [values]` member of a Principal object.
public struct PrincipalEntry: Sendable, Equatable {
    public var type: PrincipalType
    public var values: [String]

    public init(_ type: PrincipalType, _ values: [String]) {
        self.type = type
        self.values = values
    }

    /// An `AWS` entry for one account, as its root ARN.
    public static func account(_ account: String, partition: String = "aws") -> PrincipalEntry {
        PrincipalEntry(.aws, [ARN.accountRoot(account, partition: partition).description])
    }
}

extension PolicyPrincipal {
    /// The element's JSON: `"*"` or an object whose single-value entries are written as strings.
    var json: JSONValue {
        switch self {
        case .anyone:
            return .string("*")
        case let .listed(entries):
            return .object(entries.map { JSONMember($0.type.rawValue, JSONValue.stringOrList($0.values)) })
        }
    }

    /// Reads a Principal or NotPrincipal value at `path`.
    static func parse(_ value: JSONValue, path: String) throws(PolicyError) -> PolicyPrincipal {
        switch value {
        case .string("*"):
            return .anyone
        case .string:
            throw .malformed(path, "must be \"*\" or an object such as {\"AWS\": ...} or {\"Service\": ...}")
        case let .object(members):
            guard !members.isEmpty else { throw .malformed(path, "names no principal") }
            var entries: [PrincipalEntry] = []
            for member in members {
                let memberPath = "\(path).\(member.key)"
                guard let type = PrincipalType(rawValue: member.key) else {
                    throw .malformed(memberPath, "unknown principal type; expected AWS, Service, Federated or CanonicalUser")
                }
                let values = try PolicyDocumentParser.stringList(member.value, path: memberPath)
                entries.append(PrincipalEntry(type, try values.map { (value) throws(PolicyError) in
                    try normalized(value, type: type, path: memberPath)
                }))
            }
            return .listed(entries)
        default:
            throw .malformed(path, "must be \"*\" or an object, not \(value.typeName)")
        }
    }

    /// A principal value checked for its type; a bare account id becomes the account's root ARN.
    private static func normalized(_ value: String, type: PrincipalType, path: String) throws(PolicyError) -> String {
        guard type == .aws else { return value }
        if value == "*" { return value }
        if ARN.isAccountID(value) { return ARN.accountRoot(value).description }
        guard ARN(value) != nil else { throw .malformed(path, "\"\(value)\" is not \"*\", a 12-digit account id or an ARN") }
        return value
    }
}
