/// What is being authorized: who asks to perform which action on which resource, with the request's
/// condition keys.
public struct AuthorizationRequest: Sendable, Equatable {
    public var principal: RequestPrincipal
    /// The IAM action, such as `lambda:InvokeFunction`.
    public var action: String
    /// The resource's ARN, such as `arn:aws:lambda:us-east-1:111122223333:function:my-fn:prod`.
    public var resource: String
    /// The 12-digit account that owns the resource; compared with the principal's to tell a same-account
    /// request from a cross-account one.
    public var resourceAccount: String
    /// The condition keys. Keys not set are missing; the evaluator adds none of its own.
    public var context: ConditionContext

    public init(principal: RequestPrincipal, action: String, resource: String, resourceAccount: String,
                context: ConditionContext = ConditionContext()) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.resourceAccount = resourceAccount
        self.context = context
    }

    /// A request whose resource account is read from `resource` (an ARN with an account); nil when
    /// `resource` has none.
    public init?(principal: RequestPrincipal, action: String, resource: String, context: ConditionContext = ConditionContext()) {
        guard let arn = ARN(resource), !arn.account.isEmpty else { return nil }
        self.init(principal: principal, action: action, resource: resource, resourceAccount: arn.account, context: context)
    }

    /// True when the principal belongs to the account that owns the resource.
    public var isSameAccount: Bool {
        principal.account == resourceAccount
    }
}

/// Who makes a request: an IAM principal of some account, or a service acting through a resource
/// policy's grant (`s3.amazonaws.com`).
public enum RequestPrincipal: Sendable, Equatable {
    /// A user, role or account root: its ARN and its 12-digit account.
    case iam(arn: String, account: String)
    /// A service principal such as `s3.amazonaws.com`; it has no identity policies and is allowed only by
    /// a resource policy.
    case service(String)

    /// An IAM principal from its ARN, the account taken from the ARN; nil when `arn` is not an ARN with an
    /// account.
    public init?(arn: String) {
        guard let parsed = ARN(arn), !parsed.account.isEmpty else { return nil }
        self = .iam(arn: arn, account: parsed.account)
    }

    /// The account's root principal, `arn:aws:iam::<account>:root`.
    public static func accountRoot(_ account: String, partition: String = "aws") -> RequestPrincipal {
        .iam(arn: ARN.accountRoot(account, partition: partition).description, account: account)
    }

    /// The principal's ARN, or the service's name, as AccessDenied messages show it.
    public var arn: String {
        switch self {
        case let .iam(arn, _): return arn
        case let .service(name): return name
        }
    }

    /// The principal's account; nil for a service.
    public var account: String? {
        switch self {
        case let .iam(_, account): return account
        case .service: return nil
        }
    }

    /// `arn:aws:iam::ACCOUNT:role/ROLE` for an assumed-role session `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`;
    /// nil for any other ARN.
    static func roleARN(ofSession arn: String) -> String? {
        guard let parsed = ARN(arn), parsed.service == "sts", parsed.resource.hasPrefix("assumed-role/") else { return nil }
        let parts = parsed.resource.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty else { return nil }
        return "arn:\(parsed.partition):iam::\(parsed.account):role/\(parts[1])"
    }

    /// True for an account's root principal (`arn:<partition>:iam::<account>:root`).
    public var isAccountRoot: Bool {
        guard case let .iam(arn, account) = self, let parsed = ARN(arn) else { return false }
        return parsed.isAccountRoot && parsed.account == account
    }
}
