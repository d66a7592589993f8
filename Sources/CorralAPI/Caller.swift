import CorralPolicy

/// Who is calling, once the request's signature is verified: the account whose functions the request
/// sees, the principal it acts as, its identity policy, and the region ARNs are written with (the
/// server's: the Authenticator refuses a scope for any other).
public struct Caller: Equatable, Sendable {
    public var account: String
    public var region: String
    /// `arn:aws:iam::ACCOUNT:root` for a tenant's root key, `arn:aws:iam::ACCOUNT:user/NAME` otherwise.
    public var principalARN: String
    /// The access key the request was signed with (nil for callers made in tests).
    public var accessKeyID: String?
    /// The key's identity policy. A root key needs none (it may do anything in its account); a user key
    /// without one may do nothing.
    public var identityPolicy: PolicyDocument?
    /// The client's IP address (aws:SourceIp), when the transport tells it.
    public var sourceIP: String?

    public init(account: String, region: String, principalARN: String? = nil, accessKeyID: String? = nil, identityPolicy: PolicyDocument? = nil) {
        self.account = account
        self.region = region
        self.principalARN = principalARN ?? "arn:aws:iam::\(account):root"
        self.accessKeyID = accessKeyID
        self.identityPolicy = identityPolicy
    }
}
