import CorralFunctions
import CorralPolicy
import CorralRuntime

/// What `corral policy effective FUNCTION` shows: the sandbox a function's execution role compiles to.
struct EffectiveSandboxShape: Encodable {
    struct Bind: Encodable {
        var path: String
        var access: String
    }

    struct Limits: Encodable {
        var memoryMB: Int
        var cpus: Double
        var pids: Int
        var tmpMB: Int
        var timeoutSeconds: Int
    }

    var functionName: String
    var version: String
    var role: String
    var binds: [Bind]
    var secrets: [String]
    /// The role's net:Connect patterns (each connection is also checked against its Deny statements).
    var egress: [String]
    /// True when the environment gets role credentials and AWS_ENDPOINT_URL_LAMBDA.
    var roleCredentials: Bool
    var network: String
    var limits: Limits
    var seccomp: String

    enum CodingKeys: String, CodingKey {
        case functionName = "FunctionName", version = "Version", role = "Role", binds = "Binds", secrets = "Secrets", egress = "Egress"
        case roleCredentials = "RoleCredentials", network = "Network", limits = "Limits", seccomp = "Seccomp"
    }
}

extension EffectiveSandboxShape.Bind {
    enum CodingKeys: String, CodingKey { case path = "Path", access = "Access" }
}

extension EffectiveSandboxShape.Limits {
    enum CodingKeys: String, CodingKey {
        case memoryMB = "MemoryMB", cpus = "Cpus", pids = "Pids", tmpMB = "TmpMB", timeoutSeconds = "TimeoutSeconds"
    }
}

extension LambdaService {
    /// The effective sandbox of a function version, compiled from its role as a new environment would be
    /// (without touching the host).
    func effectiveSandbox(_ caller: Caller, _ name: String, qualifier: String?) throws(LambdaError) -> EffectiveSandboxShape {
        let version = try resolve(caller, name, qualifier: qualifier)
        let settings = version.settings
        var grants = SandboxGrants()
        if let roles {
            grants = try roles.compile(try roles.role(account: version.account, arn: settings.role))
        }
        let limits = Invoker.limits(settings)
        let network = grants.egress.isEmpty
            ? "loopback only: the Runtime API\(grants.invokesFunctions ? " and the Lambda endpoint" : "")"
            : "loopback only: the Runtime API, \(grants.invokesFunctions ? "the Lambda endpoint, " : "")and the egress proxy (HTTP_PROXY, HTTPS_PROXY)"
        return EffectiveSandboxShape(
            functionName: version.name, version: version.version, role: settings.role,
            binds: grants.paths.map { .init(path: $0.path, access: $0.writable ? "read-write" : "read-only") },
            secrets: grants.secrets.map { "/run/secrets/" + $0 }, egress: grants.egress, roleCredentials: grants.invokesFunctions,
            network: network,
            limits: .init(memoryMB: settings.memorySize, cpus: limits.cpus ?? 0, pids: limits.pids ?? 0, tmpMB: Int(limits.tmpBytes >> 20),
                          timeoutSeconds: settings.timeout),
            seccomp: "default (config/seccomp/default.json, built in)")
    }
}
