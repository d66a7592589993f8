import Foundation

/// A tenant: an account with a 12-digit id, a name, and its quotas.
public struct Tenant: Codable, Equatable, Sendable {
    public var account: String
    public var name: String
    public var quotas: TenantQuotas
    public var created: Date

    public init(account: String, name: String, quotas: TenantQuotas = TenantQuotas(), created: Date) {
        self.account = account
        self.name = name
        self.quotas = quotas
        self.created = created
    }

    /// A tenant name: 1-64 of letters, digits, `-`, `_` and `.`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.count), let first = name.unicodeScalars.first, first.isASCIIAlphanumeric else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "-_.".unicodeScalars.contains($0) }
    }

    /// A 12-digit account id.
    public static func isValidAccount(_ account: String) -> Bool {
        account.count == 12 && account.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
    }
}

/// What a tenant may use. Defaults follow Lambda's per-function limits; the concurrency quota defaults to
/// none beyond the host's capacity (the warm pool's fair share still applies).
public struct TenantQuotas: Codable, Equatable, Sendable {
    /// Invocations running at once over all the tenant's functions (nil: no quota of its own).
    public var concurrentExecutions: Int?
    /// Ceiling of a function's MemorySize, MB.
    public var memorySizeMB: Int = 10240
    /// Ceiling of a function's Timeout, seconds.
    public var timeoutSeconds: Int = 900
    /// Number of functions.
    public var functions: Int = 1000
    /// Bytes of code packages stored (all versions).
    public var codeStorageBytes: Int = 75 << 30
    /// Ceiling of a function's EphemeralStorage, MB.
    public var ephemeralStorageMB: Int = 10240

    public init() {}
}

/// An access key of a tenant (never its secret, which TenantStore gives only to the authenticator).
public struct AccessKey: Codable, Equatable, Sendable {
    public var id: String
    public var account: String
    /// The IAM-style user the key acts as, or nil for the tenant's root (all of its account).
    public var user: String?
    /// The key's own identity policy (JSON), if it has one.
    public var policy: String?
    public var created: Date
    public var revoked: Date?

    /// The principal requests signed with this key act as: `arn:aws:iam::ACCOUNT:root` or `...:user/NAME`.
    public var principalARN: String {
        user.map { "arn:aws:iam::\(account):user/\($0)" } ?? "arn:aws:iam::\(account):root"
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self) }
}
