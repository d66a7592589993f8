/// Who is calling, once the request's signature is verified: the account whose functions the request
/// sees, the principal it acts as, and the region ARNs are written with (the SigV4 scope's).
public struct Caller: Equatable, Sendable {
    public var account: String
    public var region: String
    /// `arn:aws:iam::ACCOUNT:root` for a tenant's root key, `arn:aws:iam::ACCOUNT:user/NAME` otherwise.
    public var principalARN: String
    /// The access key the request was signed with (nil for callers made in tests).
    public var accessKeyID: String?

    public init(account: String, region: String, principalARN: String? = nil, accessKeyID: String? = nil) {
        self.account = account
        self.region = region
        self.principalARN = principalARN ?? "arn:aws:iam::\(account):root"
        self.accessKeyID = accessKeyID
    }
}
