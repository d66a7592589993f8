/// An Amazon Resource Name: `arn:partition:service:region:account:resource`.
///
/// The resource part may itself hold colons and slashes (`function:my-fn:prod`, `/srv/data/*`). Region and
/// account may be empty, as in S3's `arn:aws:s3:::bucket` and Corral's own execution-role resources
/// `arn:corral:fs:::/srv/data/*` and `arn:corral:net:::api.example.com:443`. Parsing checks the shape only;
/// whether a service or account exists is not this type's business.
public struct ARN: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    public var partition: String
    public var service: String
    public var region: String
    public var account: String
    /// Everything after the fifth colon.
    public var resource: String

    /// Builds an ARN from its parts; no checks.
    public init(partition: String, service: String, region: String = "", account: String = "", resource: String) {
        self.partition = partition
        self.service = service
        self.region = region
        self.account = account
        self.resource = resource
    }

    /// Parses `arn:partition:service:region:account:resource`; nil unless the text starts with `arn:`, has
    /// at least five colons, and has a non-empty partition, service and resource.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty, !parts[5].isEmpty else {
            return nil
        }
        self.init(partition: String(parts[1]), service: String(parts[2]), region: String(parts[3]),
                  account: String(parts[4]), resource: String(parts[5]))
    }

    /// The ARN's text, as parsed.
    public var description: String {
        "arn:\(partition):\(service):\(region):\(account):\(resource)"
    }

    /// The ARN of an account's root principal: `arn:<partition>:iam::<account>:root`.
    public static func accountRoot(_ account: String, partition: String = "aws") -> ARN {
        ARN(partition: partition, service: "iam", account: account, resource: "root")
    }

    /// True for `arn:<partition>:iam::<account>:root`, the principal that stands for a whole account.
    public var isAccountRoot: Bool {
        service == "iam" && region.isEmpty && !account.isEmpty && resource == "root"
    }

    /// True when `text` is a 12-digit AWS account id.
    public static func isAccountID(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
