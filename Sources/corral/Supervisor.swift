import CorralAPI
import CorralEgress
import CorralCode
import CorralMetrics
import CorralPool
import CorralSystem
import CorralRuntime
import CorralSandbox
import CorralStore
import Foundation
import Hummingbird
import Logging

/// Everything `corral serve` runs, wired from its settings: the launcher, the stores, the invoker and its
/// reaper, and the router with the Lambda API. `corral bench invoke` builds the same on a scratch directory.
final class Supervisor {
    let launcher: SandboxLauncher
    let invoker: Invoker
    let router: Router<CorralRequestContext>
    /// /metrics alone, for a listener of its own (the `metrics: HOST:PORT` setting).
    let metricsRouter: Router<BasicRequestContext>
    let metrics = CorralMetrics()
    private let service: LambdaService
    let catalog: RuntimeCatalog
    let tenants: TenantStore
    /// The admin tenant's credentials file (0600), written when this start created the admin tenant.
    let credentialsFile: String
    /// The admin key this start created (nil when the database already had tenants).
    let createdAdmin: AccessKey?
    private let reaper: Task<Void, Never>
    /// Functions' execution roles: checked on create/update, compiled into each environment.
    let roles: ExecutionRoles
    /// What runs `corral admin` commands sent to DATA/admin.sock, on these stores.
    let administration: ServerAdministration

    /// `apiTLS`: the API listener's certificate, when it serves TLS (the sandboxes' Lambda endpoints pin it).
    init(settings: ServerConfiguration, dataDirectory: String, publicURL: String, apiTLS: PinnedCertificate? = nil, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let machine = CapacityBudget.defaults(physicalMemoryBytes: HostMemory.physicalBytes())
        let memoryMB = settings.capacityMemoryMB > 0 ? settings.capacityMemoryMB : machine.memoryMB
        let configured = CapacityBudget(memoryMB: memoryMB, environments: settings.capacityEnvironments > 0 ? settings.capacityEnvironments
                                            : CapacityBudget.defaultEnvironments(memoryMB: memoryMB))
        // The supervisor's fds are budgeted like memory: each environment may hold up to
        // ListenerLimits.descriptorsPerEnvironment of them through its sandbox's listeners.
        let openFiles = try OpenFileLimit.raiseToHardLimit()
        guard let budget = configured.limited(fileDescriptors: openFiles, perEnvironment: ListenerLimits.descriptorsPerEnvironment,
                                              reserved: ListenerLimits.reservedDescriptors) else {
            throw ConfigurationError(message: "the open-file limit (RLIMIT_NOFILE \(openFiles)) leaves no room for an execution environment: "
                + "each needs \(ListenerLimits.descriptorsPerEnvironment) beyond \(ListenerLimits.reservedDescriptors) kept for the API; raise it (ulimit -n, or LimitNOFILE= in a systemd unit)")
        }
        if budget.environments < configured.environments {
            logger.warning("corral serve: at most \(budget.environments) execution environments (not \(configured.environments)): the open-file limit is \(openFiles) and each environment may hold \(ListenerLimits.descriptorsPerEnvironment); raise it (ulimit -n, LimitNOFILE=) for more")
        }
        // The kernel's caps over many sandboxes: the parent's (all of them) and each tenant's.
        let aggregate = AggregateLimits(budget: budget, pidMax: Self.pidMax(),
                                        defaultTenantConcurrency: settings.tenantConcurrency > 0 ? settings.tenantConcurrency : nil,
                                        pids: settings.capacityPids > 0 ? settings.capacityPids : nil)
        self.aggregate = aggregate
        var sandboxConfiguration = SandboxLauncher.Configuration()
        sandboxConfiguration.prefilledPool = settings.prefill
        sandboxConfiguration.cgroupParent = settings.cgroupParent
        sandboxConfiguration.parentLimits = SandboxGroup(name: settings.cgroupParent, memoryBytes: aggregate.parent.memoryBytes, pids: aggregate.parent.pids)
        launcher = try SandboxLauncher(configuration: sandboxConfiguration)
        let database = try StoreDatabase(path: dataDirectory + "/corral.sqlite")
        let store = FunctionStore(database: database)
        tenants = TenantStore(database: database)
        credentialsFile = dataDirectory + "/" + AdminCredentials.fileName
        createdAdmin = try AdminCredentials.bootstrap(tenants, account: settings.account, file: credentialsFile)
        let code = CodeStore(root: dataDirectory + "/code")
        let detected = RuntimeCatalog.detect()
        let bootstraps = try Bootstraps.install(under: dataDirectory + "/runtime", pythons: detected.pythonInterpreters)
        catalog = detected.usingCompiledBootstraps(in: bootstraps)
        let logs = FunctionLogs(root: dataDirectory + "/logs", limit: settings.logBytesPerFunction)
        var invokerConfiguration = Invoker.Configuration(bootstrapDirectory: bootstraps, codeDirectory: code.root)
        invokerConfiguration.idleTimeout = Double(settings.idleTimeoutSeconds)
        invokerConfiguration.maxLifetime = Double(settings.maxLifetimeSeconds)
        invokerConfiguration.queueTimeout = settings.queueTimeoutSeconds
        invokerConfiguration.region = settings.region
        // Secrets live in each sandbox's memory only (MemoryDirectory); releases before that wrote them
        // under DATA/run/secrets, where a crash left them: nothing of that may outlive an upgrade.
        try? FileManager.default.removeItem(atPath: dataDirectory + "/run/secrets")
        // Each tenant's sandboxes run as host ids of its own block; its fsRoots become its own.
        let identities = TenantIdentities(pool: try settings.checkedIDPool(), tenants: tenants)
        try identities.restore()
        invokerConfiguration.identities = identities
        invokerConfiguration.identity = identities.pool.operatorIdentity
        let fsRoots = try settings.pinnedFSRoots()
        try TenantRoots.prepare(fsRoots, identities: identities, logger: logger)
        let sessions = SessionCredentials()
        let roles = ExecutionRoles(tenants: tenants, fsRoots: fsRoots, sessions: sessions,
                                   apiEndpoint: ServeCommand.parseListen(settings.listen).map(Self.loopbackEndpoint).map {
                                       ForwardTarget(host: $0.host, port: $0.port, tls: apiTLS)
                                   },
                                   credentialLifetime: TimeInterval(settings.roleCredentialSeconds),
                                   supervisorPorts: Set([ServeCommand.parseListen(settings.metrics)?.port].compactMap { $0 }))
        self.roles = roles
        invokerConfiguration.grants = { version in try roles.grants(for: version) }
        invokerConfiguration.budget = budget
        let tenantQuotas = self.tenantQuotas
        invokerConfiguration.groups = { account in
            let quotas = tenantQuotas.withLock { $0[account] } ?? TenantQuotas()
            let limits = aggregate.tenant(concurrency: quotas.concurrentExecutions, memorySizeMB: quotas.memorySizeMB)
            return SandboxGroup.tenant(account, memoryBytes: limits.memoryBytes, pids: limits.pids)
        }
        invoker = Invoker(configuration: invokerConfiguration, launcher: launcher, catalog: catalog, logs: logs, logger: logger, metrics: metrics)
        let (quotaCache, aggregateLimits, tenantStore0, invoker0) = (tenantQuotas, aggregate, tenants, invoker)
        administration = ServerAdministration(dataDirectory: dataDirectory, tenants: tenants, functions: store, roles: roles, invoker: invoker,
                                              applyQuotas: { await Supervisor.applyTenantQuotas(tenantStore0, invoker0, quotaCache, aggregateLimits) })
        reaper = invoker.startReaper(interval: min(2, max(0.25, Double(settings.idleTimeoutSeconds) / 4)))
        let catalog = self.catalog
        let tenantStore = tenants
        service = LambdaService(functions: store, code: code, publicURL: publicURL, invoker: invoker,
                                quotas: { account in try? tenantStore.tenant(account).quotas }, roles: roles,
                                codeURLs: try CodeURLSigner(keyFile: dataDirectory + "/code-url.key"),
                                availableRuntimes: { catalog.identifiers })
        router = Router(context: CorralRequestContext.self)
        let tenants = self.tenants
        let authenticator = Authenticator(region: settings.region, sessions: sessions) { id in try tenants.activeKey(id) }
        let authenticate: Authenticate = { request in try await authenticator.authenticate(&request) }
        let authorizer = Authorizer(audit: AuditLog(path: dataDirectory + "/" + AdminCommand.auditFileName))
        let keyIsActive: @Sendable (String) -> Bool = { id in ((try? tenants.activeKey(id)) ?? nil) != nil || sessions.session(id) != nil }
        LambdaRoutes(service: service, logs: logs, authorizer: authorizer, authenticate: authenticate, keyIsActive: keyIsActive)
            .register(on: router, logger: logger)
        let status = PoolRoutes(invoker: invoker, metrics: metrics)
        status.registerStatus(on: router, operatorAccount: settings.account, authenticate: authenticate)
        CallerRoute.register(on: router, authenticate: authenticate)
        metricsRouter = Router()
        switch settings.metrics {
        case "api": status.registerMetrics(on: router, operatorAccount: settings.account, authenticate: authenticate)
        case "off": break
        default: status.registerMetrics(on: metricsRouter)
        }
    }

    /// Where a sandbox's Lambda endpoint forwards to: the listener itself, or loopback when it listens on
    /// every address.
    static func loopbackEndpoint(_ listen: (host: String, port: Int)) -> (host: String, port: Int) {
        switch listen.host {
        case "0.0.0.0", "": return ("127.0.0.1", listen.port)
        case "::", "[::]": return ("::1", listen.port)
        default: return listen
        }
    }

    /// Applies the stored reserved and provisioned concurrency to the warm pool.
    func restore() async throws {
        try await service.restoreConcurrency()
        let tenants = self.tenants, invoker = self.invoker, quotas = self.tenantQuotas, aggregate = self.aggregate
        await Self.applyTenantQuotas(tenants, invoker, quotas, aggregate)
        quotaRefresh = Self.refreshTenantQuotas(tenants, invoker, quotas, aggregate, every: TenantStore.keyCacheSeconds)
    }

    /// applyTenantQuotas every `seconds`, until cancelled.
    static func refreshTenantQuotas(_ tenants: TenantStore, _ invoker: Invoker, _ cache: LockedQuotas, _ aggregate: AggregateLimits,
                                    every seconds: Double) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                await applyTenantQuotas(tenants, invoker, cache, aggregate)
            }
        }
    }

    /// Gives the warm pool every tenant's concurrency quota (the default for tenants with none), and the
    /// tenants' cgroups their quotas, as stored now (`corral admin tenant quota` through DATA/admin.sock
    /// applies it at once; a change made on the database by another process is followed within
    /// TenantStore.keyCacheSeconds).
    static func applyTenantQuotas(_ tenants: TenantStore, _ invoker: Invoker, _ cache: LockedQuotas, _ aggregate: AggregateLimits) async {
        guard let all = try? tenants.tenants() else { return }
        var quotas: [String: Int] = [:]
        for tenant in all { if let limit = tenant.quotas.concurrentExecutions { quotas[tenant.account] = limit } }
        cache.withLock { $0 = Dictionary(all.map { ($0.account, $0.quotas) }, uniquingKeysWith: { a, _ in a }) }
        await invoker.setTenantConcurrencyQuotas(quotas, default: aggregate.defaultTenantConcurrency)
    }

    /// The host's pid_max (32768 when it cannot be read: the kernel's default).
    static func pidMax() -> Int {
        (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 32768
    }

    /// Each tenant's quotas as last read, for its cgroup's limits.
    final class LockedQuotas: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: TenantQuotas] = [:]
        func withLock<T>(_ body: (inout [String: TenantQuotas]) -> T) -> T { lock.withLock { body(&values) } }
    }
    let tenantQuotas = LockedQuotas()
    let aggregate: AggregateLimits

    private var quotaRefresh: Task<Void, Never>?

    /// Stops every sandbox and what was made ahead for them.
    func shutdown() async {
        reaper.cancel()
        quotaRefresh?.cancel()
        await invoker.shutdown()
        launcher.shutdown()
    }
}
