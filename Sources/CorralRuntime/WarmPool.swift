import CorralFunctions
import CorralMetrics
import CorralPool
import CorralStore
import CorralSystem
import Foundation
import Logging

/// The warm-pool manager: the actor that owns every execution environment. Its PoolLedger decides who may
/// run, which environment serves, what to evict and what expires; the actor carries the decisions out
/// (starting and killing sandboxes) and queues invocations that wait for room on a full host.
actor WarmPool {
    struct Settings: Sendable {
        var budget: CapacityBudget
        /// Seconds an idle environment is kept (scale to zero).
        var idleTimeout: Double
        /// Seconds an environment lives at most.
        var maxLifetime: Double
        /// Seconds an invocation may wait for room on a full host before it gets 429.
        var queueTimeout: Double
        /// Lambda's init limit: seconds from start to the runtime's first `invocation/next`.
        var initLimit: Double
    }

    /// An environment handed to one invocation. `coldStart`: it was started for it and is not initialized yet.
    struct Lease: Sendable {
        let id: Int
        let key: PoolKey
        let environment: ExecutionEnvironment
        let coldStart: Bool
    }

    enum Refusal: Error {
        case throttled(ThrottleReason)
        case startFailed(any Error)
        case stopping
    }

    /// Starts the sandbox of an environment for `version`; `onExit` runs when its process ends.
    typealias Starter = @Sendable (_ version: FunctionVersion, _ initialization: InitializationType,
                                   _ onExit: @escaping @Sendable () -> Void) async throws -> ExecutionEnvironment

    private enum Placement { case reuse(Int), start(Int) }

    private struct Waiter {
        let token: Int
        let key: PoolKey
        let memoryMB: Int
        let mode: FunctionSettings.EnvironmentMode
        let arrival: Double
        let continuation: CheckedContinuation<Placement?, Never>
    }

    /// A provisioned concurrency configuration: `requested` environments of `version`, kept initialized.
    struct ProvisionedTarget: Sendable {
        var version: FunctionVersion
        var requested: Int
        /// The last failure to initialize one, for the configuration's StatusReason.
        var failure: String?
    }

    let settings: Settings
    private let starter: Starter
    private let logger: Logger
    private var ledger: PoolLedger
    private var environments: [Int: ExecutionEnvironment] = [:]
    /// The version each live environment runs (to start another like it: fresh mode's next one).
    private var versions: [PoolKey: FunctionVersion] = [:]
    private var waiters: [Waiter] = []
    private var nextToken = 1
    private var provisioned: [ProvisionedID: ProvisionedTarget] = [:]
    private var stopping = false
    private let metrics: CorralMetrics?

    init(settings: Settings, logger: Logger, metrics: CorralMetrics?, starter: @escaping Starter) {
        self.settings = settings
        self.starter = starter
        self.logger = logger
        self.metrics = metrics
        self.ledger = PoolLedger(budget: settings.budget)
    }

    private static func now() -> Double { Double(MonotonicClock.now()) / 1e9 }

    // MARK: Invocations

    /// An environment for one invocation of `version`: a ready one, or a new one started for it (which the
    /// caller initializes, then reports with `initialized`). Waits up to the queue timeout on a full host.
    func acquire(_ version: FunctionVersion) async throws(Refusal) -> Lease {
        guard !stopping else { throw .stopping }
        let key = PoolKey(version)
        if let reason = ledger.throttle(key.function) { throw .throttled(reason) }
        ledger.beginInvocation(key.function)
        versions[key] = version
        let mode = version.settings.environmentMode ?? .reuse
        var placement: Placement?
        if let id = ledger.claimReady(key, now: Self.now()) {
            placement = .reuse(id)
        } else if waiters.isEmpty {
            // An environment started ahead for this version is on its way: wait for it rather than start another.
            placement = place(key, memoryMB: version.settings.memorySize, mode: mode, startsAhead: 0)
        }
        if placement == nil {
            placement = await wait(key, memoryMB: version.settings.memorySize, mode: mode)
        }
        switch placement {
        case nil:
            ledger.endInvocation(key.function)
            throw stopping ? .stopping : .throttled(.concurrentInvocations)
        case let .reuse(id)?:
            guard let environment = environments[id] else { preconditionFailure("a ready environment has its sandbox") }
            if mode == .fresh || ledger.trafficRising(key) { prestart(version) }
            return Lease(id: id, key: key, environment: environment, coldStart: false)
        case let .start(id)?:
            if mode == .fresh || ledger.trafficRising(key) { prestart(version) }
            let environment: ExecutionEnvironment
            do {
                environment = try await starter(version, .onDemand, exitHandler(id))
            } catch {
                ledger.handle(id, .failed, now: Self.now())
                ledger.endInvocation(key.function)
                wake()
                throw .startFailed(error)
            }
            guard ledger.members[id] != nil, !stopping else {
                environment.destroy()
                ledger.endInvocation(key.function)
                throw .stopping
            }
            environments[id] = environment
            return Lease(id: id, key: key, environment: environment, coldStart: true)
        }
    }

    /// A cold start's runtime asked for its first invocation: the environment is ready and busy with it.
    func initialized(_ lease: Lease) {
        let now = Self.now()
        ledger.handle(lease.id, .initialized, now: now)
        if ledger.handle(lease.id, .assigned, now: now).contains(.destroy) { destroy(lease.id) }
    }

    /// The invocation ended: `crashed` when the sandbox is gone (exit, timeout, failed init). The environment
    /// goes back to the pool or is destroyed, as its lifecycle says.
    func release(_ lease: Lease, crashed: Bool) {
        let wasProvisioned = ledger.members[lease.id]?.provisioned ?? false
        let actions = ledger.handle(lease.id, crashed ? .crashed : .finished, now: Self.now())
        ledger.endInvocation(lease.key.function)
        if actions.contains(.destroy) { destroy(lease.id) }
        // Only provisioned environments need replacing or retiring; without any, skip the scan.
        if wasProvisioned || !provisioned.isEmpty { replenish() }
        wake()
    }

    // MARK: Changes

    /// A function's version (all versions when nil) changed or went: new invocations get new environments
    /// at once; idle ones go now and busy ones after their invocation.
    func drain(_ function: FunctionID, version: String?) {
        for id in ledger.drain(function, version: version, now: Self.now()) { destroy(id) }
        wake()
    }

    func setReserved(_ function: FunctionID, _ limit: Int?) {
        ledger.reserved[function] = limit
    }

    /// Tenants' concurrency quotas, by account (an account missing has none of its own).
    func setTenantQuotas(_ quotas: [String: Int], default defaultQuota: Int?) {
        ledger.tenantQuota = quotas
        ledger.defaultTenantQuota = defaultQuota
    }

    /// Keeps `requested` environments of `version` initialized for the configuration `id` (nil removes it).
    func setProvisioned(_ id: ProvisionedID, version: FunctionVersion?, requested: Int) {
        if let version, requested > 0 {
            provisioned[id] = ProvisionedTarget(version: version, requested: requested, failure: nil)
            versions[PoolKey(version)] = version
        } else {
            provisioned[id] = nil
        }
        replenish()
    }

    /// How many of the configuration's environments exist (allocated) and are initialized (available).
    func provisionedStatus(_ id: ProvisionedID) -> (allocated: Int, available: Int, failure: String?)? {
        guard let target = provisioned[id] else { return nil }
        let key = PoolKey(target.version)
        let mine = ledger.members.values.filter { $0.key == key && $0.provisioned && $0.state != .draining }
        let share = min(target.requested, mine.count)
        let ready = min(share, mine.filter { $0.state == .ready || $0.state == .busy }.count)
        return (share, ready, target.failure)
    }

    // MARK: Time and stopping

    /// Expires idle environments, removes dead ones, replaces missing provisioned ones.
    func tick() {
        let now = Self.now()
        for id in ledger.tick(now: now) { destroy(id) }
        for (id, member) in ledger.members where member.state == .ready && environments[id]?.session.isEnded == true {
            ledger.handle(id, .crashed, now: now)
            destroy(id)
        }
        replenish()
        wake()
    }

    /// Kills every environment; waiting invocations are refused.
    func shutdown() {
        stopping = true
        provisioned.removeAll()
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
        waiters.removeAll()
        for id in ledger.members.keys.sorted() {
            ledger.handle(id, .crashed, now: Self.now())
            destroy(id)
        }
    }

    func snapshot() -> PoolSnapshot {
        PoolSnapshot(ledger: ledger, waiting: waiters.count, provisioned: provisioned.mapValues(\.requested))
    }

    // MARK: Placement

    /// A ready environment of `key`, or room for a new one (evicting idle ones if needed), or nil when the
    /// host is full or an environment started ahead for `key` is on its way (`startsAhead` of them are
    /// already promised to invocations waiting before this one).
    private func place(_ key: PoolKey, memoryMB: Int, mode: FunctionSettings.EnvironmentMode, startsAhead: Int) -> Placement? {
        let now = Self.now()
        if let id = ledger.claimReady(key, now: now) { return .reuse(id) }
        if startingAhead(key) > startsAhead { return nil }
        switch ledger.room(memoryMB: memoryMB, tenant: key.account, waiting: Set(waiters.map(\.key.account))) {
        case .fits: break
        case let .evict(victims): evict(victims)
        case .full: return nil
        }
        return .start(ledger.add(key, memoryMB: memoryMB, provisioned: false, claimed: true, policy: policy(mode), now: now))
    }

    private func wait(_ key: PoolKey, memoryMB: Int, mode: FunctionSettings.EnvironmentMode) async -> Placement? {
        let token = nextToken
        nextToken += 1
        let timeout = settings.queueTimeout
        if startingAhead(key) == 0 { metrics?.queued() }
        return await withCheckedContinuation { continuation in
            waiters.append(Waiter(token: token, key: key, memoryMB: memoryMB, mode: mode, arrival: Self.now(), continuation: continuation))
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                await self?.expire(token)
            }
            wake()
        }
    }

    /// The queue timeout passed: the invocation gets room now if any is free (it may have waited for an
    /// environment started ahead that is slow to come), or nil (429).
    private func expire(_ token: Int) {
        guard let index = waiters.firstIndex(where: { $0.token == token }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(returning: place(waiter.key, memoryMB: waiter.memoryMB, mode: waiter.mode, startsAhead: .max))
    }

    /// Gives room to waiting invocations, tenants holding the least memory first.
    private func wake() {
        guard !waiters.isEmpty else { return }
        var served = Set<Int>()
        var promised: [PoolKey: Int] = [:]
        for index in ledger.serviceOrder(waiters.map { ($0.key.account, $0.arrival) }) {
            let waiter = waiters[index]
            let ahead = promised[waiter.key, default: 0]
            promised[waiter.key] = ahead + 1
            guard let placement = place(waiter.key, memoryMB: waiter.memoryMB, mode: waiter.mode, startsAhead: ahead) else { continue }
            promised[waiter.key] = ahead
            served.insert(waiter.token)
            waiter.continuation.resume(returning: placement)
        }
        waiters.removeAll { served.contains($0.token) }
    }

    /// Environments of `key` starting with no invocation waiting on them (provisioned or started ahead).
    private func startingAhead(_ key: PoolKey) -> Int {
        ledger.count { $0.key == key && $0.state == .creating && !$0.claimed }
    }

    private func evict(_ victims: [Int]) {
        for id in victims where ledger.handle(id, .evicted, now: Self.now()).contains(.destroy) {
            metrics?.eviction()
            destroy(id)
        }
    }

    private func destroy(_ id: Int) {
        environments.removeValue(forKey: id)?.destroy()
    }

    private func policy(_ mode: FunctionSettings.EnvironmentMode, provisioned: Bool = false) -> EnvironmentLifecycle.Policy {
        EnvironmentLifecycle.Policy(mode: mode == .fresh ? .fresh : .reuse, idleTimeout: provisioned ? nil : settings.idleTimeout,
                                    maxLifetime: settings.maxLifetime)
    }

    private func exitHandler(_ id: Int) -> @Sendable () -> Void {
        { [weak self] in Task { await self?.exited(id) } }
    }

    /// A sandbox ended. An idle one is replaced if provisioned; a busy one is the invocation's to report.
    private func exited(_ id: Int) {
        guard let member = ledger.members[id], member.state == .ready else { return }
        ledger.handle(id, .crashed, now: Self.now())
        destroy(id)
        replenish()
        wake()
    }

    // MARK: Environments started ahead

    /// The next invocation should start warm too, so one is started as this one is taken: always in fresh
    /// mode, and in reuse mode while the version's traffic is rising (PoolLedger.trafficRising).
    private func prestart(_ version: FunctionVersion) {
        startAhead(version, provisioned: false)
    }

    /// Starts and initializes an environment no invocation waits for yet (provisioned, or started ahead).
    /// It never evicts for a prestart; provisioned ones may evict idle on-demand environments.
    private func startAhead(_ version: FunctionVersion, provisioned isProvisioned: Bool) {
        guard !stopping else { return }
        let key = PoolKey(version)
        let memoryMB = version.settings.memorySize
        switch ledger.room(memoryMB: memoryMB, tenant: key.account, waiting: Set(waiters.map(\.key.account))) {
        case .fits: break
        case let .evict(victims) where isProvisioned: evict(victims)
        default: return
        }
        let mode = version.settings.environmentMode ?? .reuse
        let id = ledger.add(key, memoryMB: memoryMB, provisioned: isProvisioned, claimed: false,
                            policy: policy(mode, provisioned: isProvisioned), now: Self.now())
        Task { await self.bringUp(id, version, initialization: isProvisioned ? .provisioned : .onDemand) }
    }

    private func bringUp(_ id: Int, _ version: FunctionVersion, initialization: InitializationType) async {
        let environment: ExecutionEnvironment
        do {
            environment = try await starter(version, initialization, exitHandler(id))
        } catch {
            ledger.handle(id, .failed, now: Self.now())
            noteFailure(version, "\(error)")
            wake()
            return
        }
        guard ledger.members[id] != nil, !stopping else { environment.destroy(); return }
        environments[id] = environment
        let limit = settings.initLimit
        let timer = Task { [weak environment] in
            try await Task.sleep(nanoseconds: UInt64(limit * 1e9))
            environment?.destroy(because: .initTimedOut(limit))
        }
        let failure = await environment.session.waitUntilReady()
        timer.cancel()
        if failure == nil, !ledger.handle(id, .initialized, now: Self.now()).contains(.destroy) {
            environment.initDurationMs = 0
            wake()
        } else {
            ledger.handle(id, .failed, now: Self.now())
            destroy(id)
            noteFailure(version, failure.map { "\($0)" } ?? "expired")
        }
    }

    private func noteFailure(_ version: FunctionVersion, _ reason: String) {
        logger.warning("an environment for \(version.name):\(version.version) failed to initialize: \(reason)")
        for (id, target) in provisioned where target.version.revisionID == version.revisionID && target.version.name == version.name {
            provisioned[id]?.failure = reason
        }
    }

    /// Provisioned configurations get the environments they are missing; ones above the request go.
    private func replenish() {
        var wanted: [PoolKey: (version: FunctionVersion, count: Int)] = [:]
        for target in provisioned.values {
            wanted[PoolKey(target.version), default: (target.version, 0)].count += target.requested
        }
        let now = Self.now()
        for (key, want) in wanted {
            let mine = ledger.members.values.filter { $0.key == key && $0.provisioned && $0.state != .draining }
            for _ in mine.count..<max(mine.count, want.count) { startAhead(want.version, provisioned: true) }
            for member in mine.filter({ $0.state == .ready }).prefix(max(0, mine.count - want.count)) {
                if ledger.handle(member.id, .evicted, now: now).contains(.destroy) { destroy(member.id) }
            }
        }
        // Provisioned environments whose configuration went drain like any other.
        for member in ledger.members.values where member.provisioned && wanted[member.key] == nil && member.state == .ready {
            if ledger.handle(member.id, .evicted, now: now).contains(.destroy) { destroy(member.id) }
        }
    }
}

/// A provisioned concurrency configuration's identity: a function and the version or alias it names.
public struct ProvisionedID: Hashable, Sendable {
    public var function: FunctionID
    public var qualifier: String

    public init(account: String, function: String, qualifier: String) {
        self.function = FunctionID(account: account, name: function)
        self.qualifier = qualifier
    }
}

/// AWS_LAMBDA_INITIALIZATION_TYPE.
public enum InitializationType: String, Sendable {
    case onDemand = "on-demand"
    case provisioned = "provisioned-concurrency"
}

extension PoolKey {
    init(_ version: FunctionVersion) {
        self.init(account: version.account, function: version.name, version: version.version, revisionID: version.revisionID)
    }
}
