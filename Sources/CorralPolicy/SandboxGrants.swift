/// What an execution role compiles to for one sandbox: host paths bound in (read-only or read-write, at the
/// same path inside), secrets written under /run/secrets, the egress patterns the proxy is started for,
/// and whether the environment gets credentials to invoke functions. Plain values: the runtime turns them
/// into mounts, files and environment variables.
public struct SandboxGrants: Sendable, Equatable {
    /// A host path the sandbox sees at the same path.
    public struct PathGrant: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var writable: Bool

        public init(path: String, writable: Bool) {
            self.path = path
            self.writable = writable
        }

        public var description: String { "\(path) (\(writable ? "read-write" : "read-only"))" }
    }

    /// Sorted by path, so a parent's bind is made before a child's.
    public var paths: [PathGrant] = []
    /// Names of the tenant's secrets the role may read, sorted.
    public var secrets: [String] = []
    /// The role's `net:Connect` patterns; empty means no egress proxy at all.
    public var egress: [String] = []
    /// True when the environment gets role credentials and a Lambda endpoint.
    public var invokesFunctions = false

    public init(paths: [PathGrant] = [], secrets: [String] = [], egress: [String] = [], invokesFunctions: Bool = false) {
        self.paths = paths
        self.secrets = secrets
        self.egress = egress
        self.invokesFunctions = invokesFunctions
    }
}

/// Why a role cannot be compiled into a sandbox. The message names the role, the entry and the rule.
public struct RoleCompileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension ExecutionRole {
    /// Paths a grant may not cover: the sandbox's own mounts. A grant on or under them would hide or
    /// replace what the runtime needs.
    public static let reservedPaths = ["/", "/proc", "/dev", "/sys", "/tmp", "/var/task", "/var/runtime", "/run/secrets",
                                       "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc"]

    /// The role's grants for a sandbox of its tenant.
    ///
    /// - `fsRoots`: the host directories the operator opened to this tenant. A path is bound when the role
    ///   allows `fs:Write` on it (read-write) or `fs:Read` (read-only); the paths considered are the literal
    ///   ones the role's statements name (`arn:corral:fs:::/p` or `.../p/*`) and the roots themselves (so
    ///   `fs:Read` on `*` binds every root read-only). Each must lie under a root, or above one (then it is
    ///   the roots below it that are bound).
    /// - `secretNames`: the tenant's secrets; each one the role allows `secrets:Get` on is granted.
    ///
    /// Refused (RoleCompileError): a path outside every root, a pattern that cannot be a bind (a wildcard
    /// other than a final `/*`), a relative or unnormalized path, a reserved path, and a Deny of a path
    /// inside a bound one (a bind cannot leave a hole).
    public func compile(fsRoots: [String], secretNames: [String]) throws(RoleCompileError) -> SandboxGrants {
        var grants = SandboxGrants()
        grants.paths = try compilePaths(fsRoots: fsRoots)
        grants.secrets = secretNames.sorted().filter { evaluate(RoleVocabulary.getSecret, on: RoleVocabulary.secretARN($0)).isAllowed }
        grants.egress = egressPatterns
        grants.invokesFunctions = mayInvokeFunctions
        return grants
    }

    private func compilePaths(fsRoots: [String]) throws(RoleCompileError) -> [SandboxGrants.PathGrant] {
        let fsActions = [RoleVocabulary.read, RoleVocabulary.write]
        // Candidates: (path, the resource to evaluate). A final /* is evaluated as written, so a pattern
        // `/p/*` matches it and a Deny of `/p/*` or `/*` removes it.
        var candidates: [(path: String, resource: String)] = fsRoots.map { ($0, RoleVocabulary.fsARN($0)) }
        for entry in resources(of: .allow, covering: fsActions) where entry.hasPrefix(RoleVocabulary.fsPrefix) {
            let written = String(entry.dropFirst(RoleVocabulary.fsPrefix.count))
            if written == "*" { continue }
            let path = written.hasSuffix("/*") ? String(written.dropLast(2)) : written
            try checkLiteral(path, entry: entry)
            candidates.append((path, entry))
        }
        var byPath: [String: Bool] = [:]
        for candidate in candidates {
            let writable = evaluate(RoleVocabulary.write, on: candidate.resource).isAllowed
            let readable = writable || evaluate(RoleVocabulary.read, on: candidate.resource).isAllowed
            guard readable else { continue }
            guard fsRoots.contains(where: { Self.path(candidate.path, isWithin: $0) }) else {
                // A grant above the roots (`/srv/*` with root /srv/a) reaches them as their own candidates.
                if fsRoots.contains(where: { Self.path($0, isWithin: candidate.path) }) { continue }
                let roots = fsRoots.isEmpty ? "none are opened to account \(account)" : "the roots opened to account \(account) are \(fsRoots.joined(separator: ", "))"
                throw RoleCompileError("role \(name): \(candidate.path) is not under a host root the operator opened to this tenant (fsRoots in the server configuration; \(roots))")
            }
            byPath[candidate.path] = (byPath[candidate.path] ?? false) || writable
        }
        let granted = byPath.keys.sorted().map { SandboxGrants.PathGrant(path: $0, writable: byPath[$0]!) }
        try checkDenials(within: granted)
        return granted
    }

    /// A literal path a bind can be made for.
    private func checkLiteral(_ path: String, entry: String) throws(RoleCompileError) {
        if path.contains("*") || path.contains("?") {
            throw RoleCompileError("role \(name): \(entry) cannot become a bind; fs resources name a path, optionally ending in /* (a wildcard elsewhere is refused)")
        }
        guard path.hasPrefix("/") else {
            throw RoleCompileError("role \(name): \(entry) must name an absolute host path")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if path != "/" && parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw RoleCompileError("role \(name): \(entry) is not a normalized path (no empty, '.' or '..' components, no trailing /)")
        }
        if let reserved = Self.reservedPaths.first(where: { Self.path(path, isWithin: $0) && ($0 != "/" || path == "/") }) {
            throw RoleCompileError("role \(name): \(entry) is on or under \(reserved), which the sandbox mounts itself")
        }
    }

    /// A Deny naming a path strictly inside a granted bind (or write-denying inside a writable one) cannot
    /// be enforced by binds; refuse rather than grant more than the policy says.
    private func checkDenials(within granted: [SandboxGrants.PathGrant]) throws(RoleCompileError) {
        for statement in document.statements where statement.effect == .deny {
            guard case let .listed(entries) = statement.resources else { continue }
            let deniesRead = statement.covers(action: RoleVocabulary.read)
            let deniesWrite = statement.covers(action: RoleVocabulary.write)
            guard deniesRead || deniesWrite else { continue }
            for entry in entries where entry.hasPrefix(RoleVocabulary.fsPrefix) {
                let written = String(entry.dropFirst(RoleVocabulary.fsPrefix.count))
                let path = written.hasSuffix("/*") ? String(written.dropLast(2)) : written
                for grant in granted where path != grant.path && Self.path(path, isWithin: grant.path) && (deniesRead || grant.writable) {
                    throw RoleCompileError("role \(name): the Deny of \(entry) lies inside the granted \(grant); a bind cannot exclude part of a path, so grant narrower paths instead")
                }
            }
        }
    }

    /// True when `path` is `root` or lies below it.
    public static func path(_ path: String, isWithin root: String) -> Bool {
        if root == "/" { return true }
        return path == root || path.hasPrefix(root + "/")
    }
}
