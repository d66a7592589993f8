import CorralEgress
import CorralFunctions
import CorralPolicy
import CorralRuntime
import CorralSandbox
import CorralStore
import CorralSystem
import Foundation

/// Functions' execution roles, from the stored policy to a sandbox: CreateFunction and
/// UpdateFunctionConfiguration check that the Role names a role of the caller's account that compiles;
/// each new execution environment gets the role's grants (`grants(for:)`, the invoker's GrantSource):
/// binds of granted host paths, the granted secrets' files, the egress decision, and role credentials
/// with a Lambda endpoint when the role may invoke functions.
public final class ExecutionRoles: Sendable {
    let tenants: TenantStore
    /// Host directories the operator opened to each account, pinned at start-up.
    let fsRoots: [String: [PinnedDirectory]]
    let sessions: SessionCredentials
    /// The API's own listener, which the Lambda endpoint inside sandboxes forwards to.
    let apiEndpoint: ForwardTarget?
    /// Seconds role credentials live at most (the environment's own end revokes them sooner).
    let credentialLifetime: TimeInterval
    /// Ports of the supervisor's own unauthenticated listeners (a metrics listener): no role reaches them
    /// on an internal address, even by granting the address exactly.
    let supervisorPorts: Set<Int>

    public init(tenants: TenantStore, fsRoots: [String: [PinnedDirectory]], sessions: SessionCredentials,
                apiEndpoint: ForwardTarget?, credentialLifetime: TimeInterval, supervisorPorts: Set<Int> = []) {
        self.tenants = tenants
        self.fsRoots = fsRoots
        self.sessions = sessions
        self.apiEndpoint = apiEndpoint
        self.credentialLifetime = credentialLifetime
        self.supervisorPorts = supervisorPorts
    }

    /// AWS's words when a function's role is not one Lambda can use.
    static let cannotAssume = "The role defined for the function cannot be assumed by Lambda."

    /// The role `roleARN` (`arn:aws:iam::ACCOUNT:role[/PATH]/NAME`) names, which must be one of `account`'s.
    public func role(account: String, arn roleARN: String) throws(LambdaError) -> ExecutionRole {
        let parts = roleARN.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[4] == account, parts[5].hasPrefix("role/"), let name = parts[5].split(separator: "/").last else {
            throw .invalidParameter("\(Self.cannotAssume) The role must be one of account \(account)'s (arn:aws:iam::\(account):role/NAME), not \(roleARN).")
        }
        let text: String
        do {
            text = try tenants.role(account: account, name: String(name))
        } catch {
            if case .notFound = error {
                throw .invalidParameter("\(Self.cannotAssume) Account \(account) has no role \(name) (corral admin role put --tenant ... \(name) --policy FILE).")
            }
            throw LambdaError.from(error)
        }
        do {
            return ExecutionRole(account: account, name: String(name), document: try PolicyDocument.parse(text, kind: .identity))
        } catch {
            throw .invalidParameter("\(Self.cannotAssume) Role \(name)'s policy does not parse: \(error)")
        }
    }

    /// The role's grants for `account` (without touching the host).
    public func compile(_ role: ExecutionRole) throws(LambdaError) -> SandboxGrants {
        try compiled(role).grants
    }

    /// The grants, and the egress proxy's policy when the role grants net:Connect (its patterns checked).
    private func compiled(_ role: ExecutionRole) throws(LambdaError) -> (grants: SandboxGrants, egress: RoleEgressPolicy?) {
        let secretNames: [String]
        do {
            secretNames = try tenants.secrets(account: role.account)
        } catch {
            throw LambdaError.from(error)
        }
        let grants: SandboxGrants
        do {
            grants = try role.compile(fsRoots: (fsRoots[role.account] ?? []).map(\.path), secretNames: secretNames)
        } catch {
            throw .invalidParameter("\(Self.cannotAssume) \(error.message)")
        }
        guard !grants.egress.isEmpty else { return (grants, nil) }
        do {
            return (grants, try RoleEgressPolicy(role: role, patterns: grants.egress, supervisorPorts: supervisorPorts))
        } catch {
            throw .invalidParameter("\(Self.cannotAssume) role \(role.name): \(error)")
        }
    }

    /// CreateFunction's and UpdateFunctionConfiguration's check: the role exists and compiles.
    public func check(account: String, roleARN: String) throws(LambdaError) {
        _ = try compile(try role(account: account, arn: roleARN))
    }

    /// The grants for a new environment of `version`. Throws when the role is gone or no longer compiles,
    /// when a root was replaced since start-up, or when a granted path is missing or reached through a
    /// symlink beneath its root.
    public func grants(for version: FunctionVersion) throws -> EnvironmentGrants {
        let role = try role(account: version.account, arn: version.settings.role)
        let (sandbox, egress) = try compiled(role)
        var grants = EnvironmentGrants()
        let roots = fsRoots[role.account] ?? []
        for path in sandbox.paths {
            let root = try Self.root(of: path.path, among: roots)
            grants.binds.append(BindMount(source: path.path, destination: path.path, readOnly: !path.writable, root: root))
        }
        grants.secrets = try tenants.secretValues(account: role.account, names: sandbox.secrets)
        grants.egress = egress
        if sandbox.invokesFunctions, let apiEndpoint {
            let session = sessions.issue(for: role, session: "\(version.name)-\(UUID().uuidString.prefix(8).lowercased())", lifetime: credentialLifetime)
            grants.environment = ["AWS_ACCESS_KEY_ID": session.accessKeyID, "AWS_SECRET_ACCESS_KEY": session.secretAccessKey,
                                  "AWS_SESSION_TOKEN": session.sessionToken]
            grants.lambdaEndpoint = apiEndpoint
            let sessions = self.sessions
            grants.onEnd = { sessions.revoke(session.accessKeyID) }
        }
        return grants
    }

    /// The pinned root `path` lies on or under (the innermost), checked to be the directory pinned at
    /// start-up, with `path` beneath it reachable without any symlink. The launch opens it again the same
    /// way, from the pin, so nothing checked here is trusted by path later.
    static func root(of path: String, among roots: [PinnedDirectory]) throws -> PinnedDirectory {
        guard let root = roots.filter({ $0.relative(path) != nil }).max(by: { $0.path.count < $1.path.count }) else {
            throw RoleCompileError("granted path \(path) lies outside the roots opened to the tenant")
        }
        do {
            try root.verify()
        } catch {
            throw RoleCompileError("granted path \(path): root \(error)")
        }
        do {
            FileDescriptor.close(try root.open(root.relative(path) ?? ""))
        } catch {
            let why = error.errno == ELOOP ? "is reached through a symlink beneath \(root.path), which grants never follow"
                : error.errno == ENOENT ? "does not exist on the host" : "cannot be opened: \(error)"
            throw RoleCompileError("granted path \(path) \(why)")
        }
        return root
    }
}

/// The egress proxy's decision for a role: a destination must match one of the net:Connect patterns of the
/// role's Allow statements, read as EgressAllowlist reads them (a name pattern never matches an address,
/// `127.0.0.*` never matches the name `127.0.0.1.example.com`), and the role's policy as a whole must allow
/// `net:Connect` on it (so its Deny statements and conditions apply). `Resource: "*"` is the pattern `*:*`.
struct RoleEgressPolicy: EgressPolicy {
    let role: ExecutionRole
    let allowlist: EgressAllowlist
    /// The supervisor's own unauthenticated listeners: refused on every internal address.
    let supervisorPorts: Set<Int>

    init(role: ExecutionRole, patterns: [String], supervisorPorts: Set<Int> = []) throws(EgressPatternError) {
        self.role = role
        self.supervisorPorts = supervisorPorts
        allowlist = try EgressAllowlist(patterns.compactMap { entry in
            if entry == "*" { return "*:*" }
            return entry.hasPrefix(RoleVocabulary.netPrefix) ? String(entry.dropFirst(RoleVocabulary.netPrefix.count)) : nil
        })
    }

    func allows(_ host: EgressHost, port: Int) -> Bool {
        if supervisorPorts.contains(port), InternalAddresses.contains(host) { return false }
        return allowlist.allows(host, port: port) && role.allowsConnect(host: host.address, port: port)
    }
}
