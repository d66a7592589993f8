/// The warm pool's bookkeeping as a pure value: every execution environment with its lifecycle, the
/// invocations in flight per function and tenant, and the host's capacity budget. It decides (who may run,
/// which environment serves, what to evict, what expires) and the manager actor carries the decisions out.
/// Time comes in with every call, so tests drive it with a mock clock.
public struct PoolLedger: Sendable {
    public struct Member: Sendable, Equatable {
        public let id: Int
        public let key: PoolKey
        public let memoryMB: Int
        /// Kept ready by a provisioned concurrency configuration: never evicted, never idles out.
        public let provisioned: Bool
        /// Started for one waiting invocation (a cold start): handed to it, not offered to others.
        public var claimed: Bool
        /// Its function changed while it was starting for an invocation: it serves that one, then goes.
        public var retiring = false
        public var lifecycle: EnvironmentLifecycle
        /// When it last became ready or busy: eviction takes the least recently used first.
        public var lastUsed: Double

        public var state: EnvironmentLifecycle.State { lifecycle.state }
        public var tenant: String { key.account }
    }

    /// What it takes to make room for a new environment.
    public enum Room: Equatable, Sendable {
        /// It fits in the budget as things are.
        case fits
        /// It fits once these idle environments are destroyed (least recently used first).
        case evict([Int])
        /// Nothing can be evicted for it now: wait for an environment to finish, or give up.
        case full
    }

    public var budget: CapacityBudget
    /// Reserved concurrency per function (PutFunctionConcurrency); 0 disables the function.
    public var reserved: [FunctionID: Int] = [:]
    /// Concurrency quota per tenant account; absent means `defaultTenantQuota`.
    public var tenantQuota: [String: Int] = [:]
    /// The quota of a tenant not in `tenantQuota`; nil means only the host's capacity limits it.
    public var defaultTenantQuota: Int?
    public private(set) var members: [Int: Member] = [:]
    public private(set) var inFlight: [FunctionID: Int] = [:]
    public private(set) var inFlightByTenant: [String: Int] = [:]
    private var nextID = 1

    public init(budget: CapacityBudget) {
        self.budget = budget
    }

    // MARK: Invocations

    /// Why an invocation of `function` may not start now, or nil when it may. Throttling is immediate, as
    /// Lambda's is: only a full host makes an invocation wait.
    public func throttle(_ function: FunctionID) -> ThrottleReason? {
        if let limit = reserved[function], inFlight[function, default: 0] >= limit { return .reservedFunctionConcurrency }
        if let quota = tenantQuota[function.account] ?? defaultTenantQuota, inFlightByTenant[function.account, default: 0] >= quota { return .concurrentInvocations }
        return nil
    }

    public mutating func beginInvocation(_ function: FunctionID) {
        inFlight[function, default: 0] += 1
        inFlightByTenant[function.account, default: 0] += 1
    }

    public mutating func endInvocation(_ function: FunctionID) {
        inFlight[function] = inFlight[function].flatMap { $0 > 1 ? $0 - 1 : nil }
        inFlightByTenant[function.account] = inFlightByTenant[function.account].flatMap { $0 > 1 ? $0 - 1 : nil }
    }

    // MARK: Environments

    /// Takes a ready environment of `key` for an invocation (provisioned ones first, then the most recently
    /// used, so the rest can idle out) and marks it busy.
    public mutating func claimReady(_ key: PoolKey, now: Double) -> Int? {
        let ready = members.values.filter { $0.key == key && $0.state == .ready && !$0.claimed }
        guard let best = ready.max(by: { ($0.provisioned ? 1 : 0, $0.lastUsed, $0.id) < ($1.provisioned ? 1 : 0, $1.lastUsed, $1.id) }) else { return nil }
        _ = handle(best.id, .assigned, now: now)
        return best.id
    }

    /// Records a new environment (creating). `claimed` when an invocation waits for it.
    public mutating func add(_ key: PoolKey, memoryMB: Int, provisioned: Bool, claimed: Bool, policy: EnvironmentLifecycle.Policy, now: Double) -> Int {
        let id = nextID
        nextID += 1
        members[id] = Member(id: id, key: key, memoryMB: memoryMB, provisioned: provisioned, claimed: claimed,
                             lifecycle: EnvironmentLifecycle(policy: policy, now: now), lastUsed: now)
        return id
    }

    /// Feeds one environment's lifecycle; a member that goes is forgotten. Unknown ids and refused events
    /// ask for nothing.
    @discardableResult
    public mutating func handle(_ id: Int, _ event: EnvironmentLifecycle.Event, now: Double) -> [EnvironmentLifecycle.Action] {
        guard var member = members[id], let actions = try? member.lifecycle.handle(event, now: now) else { return [] }
        if event == .assigned {
            member.claimed = false
            if member.retiring { _ = try? member.lifecycle.handle(.drain, now: now) }
        }
        if event == .initialized || event == .assigned || event == .finished { member.lastUsed = now }
        members[id] = member.state == .gone ? nil : member
        return actions
    }

    /// Time passes: the environments whose idle timeout or lifetime ran out (already forgotten).
    public mutating func tick(now: Double) -> [Int] {
        members.keys.sorted().filter { handle($0, .tick, now: now).contains(.destroy) }
    }

    /// The function (one version, or all when `version` is nil) changed or went: idle and starting
    /// environments go now (returned), busy ones after their invocation. One starting for a waiting
    /// invocation serves it first.
    public mutating func drain(_ function: FunctionID, version: String? = nil, now: Double) -> [Int] {
        var gone: [Int] = []
        for id in members.keys.sorted() {
            guard var member = members[id], member.key.function == function, version == nil || member.key.version == version else { continue }
            if member.state == .creating && member.claimed {
                member.retiring = true
                members[id] = member
            } else if handle(id, .drain, now: now).contains(.destroy) {
                gone.append(id)
            }
        }
        return gone
    }

    /// Traffic for `key` is rising: at least two of its environments are taken (busy, or starting for a
    /// waiting invocation), none is ready and none is starting ahead. The pool then starts one more
    /// ahead, so the next concurrent invocation finds it instead of a cold start.
    public func trafficRising(_ key: PoolKey) -> Bool {
        var taken = 0
        for member in members.values where member.key == key {
            switch member.state {
            case .ready: return false
            case .creating where !member.claimed: return false
            case .busy, .draining, .creating: taken += 1
            case .gone: break
            }
        }
        return taken >= 2
    }

    // MARK: Capacity

    public var usedMemoryMB: Int { members.values.reduce(0) { $0 + $1.memoryMB } }
    public var usedEnvironments: Int { members.count }

    public func memoryMB(of tenant: String) -> Int {
        members.values.filter { $0.tenant == tenant }.reduce(0) { $0 + $1.memoryMB }
    }

    /// Tenants with work: an environment starting, busy or draining, or an invocation waiting (`waiting`).
    public func activeTenants(waiting: Set<String>) -> Set<String> {
        waiting.union(members.values.filter { $0.state != .ready }.map(\.tenant))
    }

    /// The memory a tenant may hold while others contend for the host: an equal share among active tenants.
    public func fairShareMB(activeTenants: Int) -> Int {
        budget.memoryMB / max(1, activeTenants)
    }

    /// How to make room for a new environment of `memoryMB` for `tenant`. Idle environments that are not
    /// provisioned may be evicted, least recently used first. A tenant already over its fair share (while
    /// `waiting` or others' work contends) may evict only its own, so one tenant's burst cannot take the box.
    public func room(memoryMB: Int, tenant: String, waiting: Set<String>) -> Room {
        var memoryOver = usedMemoryMB + memoryMB - budget.memoryMB
        var countOver = usedEnvironments + 1 - budget.environments
        if memoryOver <= 0 && countOver <= 0 { return .fits }
        guard memoryMB <= budget.memoryMB else { return .full }
        let active = activeTenants(waiting: waiting.union([tenant]))
        let overShare = self.memoryMB(of: tenant) + memoryMB > fairShareMB(activeTenants: active.count)
        let candidates = members.values
            .filter { $0.state == .ready && !$0.provisioned && (!overShare || $0.tenant == tenant) }
            .sorted { ($0.lastUsed, $0.id) < ($1.lastUsed, $1.id) }
        var victims: [Int] = []
        for member in candidates where memoryOver > 0 || countOver > 0 {
            victims.append(member.id)
            memoryOver -= member.memoryMB
            countOver -= 1
        }
        return memoryOver <= 0 && countOver <= 0 ? .evict(victims) : .full
    }

    /// The order in which waiting invocations get room: tenants holding the least memory first, then by
    /// arrival. `waiting` is (tenant, arrival) per invocation; the answer is indices into it.
    public func serviceOrder(_ waiting: [(tenant: String, arrival: Double)]) -> [Int] {
        waiting.indices.sorted {
            (memoryMB(of: waiting[$0].tenant), waiting[$0].arrival, $0) < (memoryMB(of: waiting[$1].tenant), waiting[$1].arrival, $1)
        }
    }

    /// Environments per state, for status and metrics.
    public func count(where include: (Member) -> Bool) -> Int {
        members.values.reduce(0) { $0 + (include($1) ? 1 : 0) }
    }
}
