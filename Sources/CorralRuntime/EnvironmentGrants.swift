import CorralEgress
import CorralFunctions
import CorralSandbox
import CorralStore

/// What a function's execution role adds to one execution environment, resolved when it starts (the
/// server builds it from the role; see CorralAPI's ExecutionRoles): host binds, secret files under
/// /run/secrets, an egress proxy deciding each destination, role credentials with a Lambda endpoint
/// inside the sandbox, and what to undo when the environment ends. The empty value grants nothing:
/// the sandbox then reaches only the Runtime API.
public struct EnvironmentGrants: Sendable {
    /// Host paths bound at the same path inside.
    public var binds: [BindMount] = []
    /// Secret name -> value, written as read-only files /run/secrets/NAME.
    public var secrets: [String: [UInt8]] = [:]
    /// Decides each proxied connection; nil: no proxy, no egress.
    public var egress: (any EgressPolicy)?
    /// Extra variables (the role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
    public var environment: [String: String] = [:]
    /// Where the Lambda endpoint inside the sandbox forwards to (the API's listener, with its TLS); nil: none.
    public var lambdaEndpoint: ForwardTarget?
    /// Runs once the environment has ended (revokes its credentials).
    public var onEnd: (@Sendable () -> Void)?

    public init() {}

    public static let none = EnvironmentGrants()
}

/// Resolves the grants for a new environment of `version`; throwing fails the start with that error
/// (a deleted role, a granted path gone from the host).
public typealias GrantSource = @Sendable (FunctionVersion) throws -> EnvironmentGrants

/// The fixed places inside the sandbox the grants use.
enum GrantedPlaces {
    /// The egress proxy (HTTP_PROXY / HTTPS_PROXY).
    static let proxy: UInt16 = 3128
    /// The Lambda API endpoint (AWS_ENDPOINT_URL_LAMBDA).
    static let lambda: UInt16 = 9002
    /// Where secret files appear.
    static let secretsDirectory = "/run/secrets"
}
