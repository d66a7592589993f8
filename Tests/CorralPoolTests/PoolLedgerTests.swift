import CorralPool
import Testing

@Suite struct PoolLedgerTests {
    static let policy = EnvironmentLifecycle.Policy(idleTimeout: 60, maxLifetime: 3600)
    static func key(_ account: String = "111111111111", _ name: String = "f", version: String = "$LATEST") -> PoolKey {
        PoolKey(account: account, function: name, version: version, revisionID: "r1")
    }

    /// A ledger with one environment per entry, each initialized (ready) at time `index`.
    static func ledger(budget: CapacityBudget, ready keys: [PoolKey], memoryMB: Int = 128) -> (PoolLedger, [Int]) {
        var ledger = PoolLedger(budget: budget)
        var ids: [Int] = []
        for (index, key) in keys.enumerated() {
            let id = ledger.add(key, memoryMB: memoryMB, provisioned: false, claimed: false, policy: policy, now: Double(index))
            ledger.handle(id, .initialized, now: Double(index))
            ids.append(id)
        }
        return (ledger, ids)
    }

    @Test("reserved concurrency throttles at the limit, and zero disables the function")
    func reserved() {
        var ledger = PoolLedger(budget: CapacityBudget(memoryMB: 10_000, environments: 100))
        let f = Self.key().function
        ledger.reserved[f] = 2
        #expect(ledger.throttle(f) == nil)
        ledger.beginInvocation(f)
        ledger.beginInvocation(f)
        #expect(ledger.throttle(f) == .reservedFunctionConcurrency)
        ledger.endInvocation(f)
        #expect(ledger.throttle(f) == nil)
        ledger.reserved[f] = 0
        #expect(ledger.throttle(f) == .reservedFunctionConcurrency)
        #expect(ledger.throttle(FunctionID(account: f.account, name: "other")) == nil)
    }

    @Test("a tenant quota counts every function of the tenant")
    func tenantQuota() {
        var ledger = PoolLedger(budget: CapacityBudget(memoryMB: 10_000, environments: 100))
        ledger.tenantQuota["111111111111"] = 1
        ledger.beginInvocation(Self.key("111111111111", "a").function)
        #expect(ledger.throttle(Self.key("111111111111", "b").function) == .concurrentInvocations)
        #expect(ledger.throttle(Self.key("222222222222", "b").function) == nil)
    }

    @Test("a ready environment is reused: provisioned first, then the most recently used")
    func claimOrder() {
        var (ledger, ids) = Self.ledger(budget: CapacityBudget(memoryMB: 10_000, environments: 100), ready: [Self.key(), Self.key()])
        #expect(ledger.claimReady(Self.key(), now: 10) == ids[1])
        #expect(ledger.members[ids[1]]?.state == .busy)
        let p = ledger.add(Self.key(), memoryMB: 128, provisioned: true, claimed: false, policy: Self.policy, now: 11)
        ledger.handle(p, .initialized, now: 11)
        ledger.handle(ids[1], .finished, now: 12)
        #expect(ledger.claimReady(Self.key(), now: 13) == p)
        #expect(ledger.claimReady(Self.key(version: "1"), now: 13) == nil)
    }

    @Test("a claimed environment is never handed to another invocation")
    func claimed() {
        var ledger = PoolLedger(budget: CapacityBudget(memoryMB: 10_000, environments: 100))
        let id = ledger.add(Self.key(), memoryMB: 128, provisioned: false, claimed: true, policy: Self.policy, now: 0)
        #expect(ledger.claimReady(Self.key(), now: 1) == nil)
        ledger.handle(id, .initialized, now: 1)
        #expect(ledger.claimReady(Self.key(), now: 1) == nil)
        ledger.handle(id, .assigned, now: 1)
        ledger.handle(id, .finished, now: 2)
        #expect(ledger.claimReady(Self.key(), now: 3) == id)
    }

    @Test("capacity: fits, then evicts idle environments least recently used first, never provisioned or busy ones")
    func eviction() {
        var (ledger, ids) = Self.ledger(budget: CapacityBudget(memoryMB: 512, environments: 100), ready: [Self.key("111111111111", "a"), Self.key("111111111111", "b"), Self.key("111111111111", "c")])
        #expect(ledger.room(memoryMB: 128, tenant: "111111111111", waiting: []) == .fits)
        #expect(ledger.room(memoryMB: 256, tenant: "111111111111", waiting: []) == .evict([ids[0]]))
        #expect(ledger.room(memoryMB: 384, tenant: "111111111111", waiting: []) == .evict([ids[0], ids[1]]))
        _ = ledger.claimReady(Self.key("111111111111", "a"), now: 5) // a is busy now: b and c are the idle ones
        #expect(ledger.room(memoryMB: 256, tenant: "111111111111", waiting: []) == .evict([ids[1]]))
        #expect(ledger.room(memoryMB: 512, tenant: "111111111111", waiting: []) == .full)
        #expect(ledger.room(memoryMB: 1024, tenant: "111111111111", waiting: []) == .full)
        let p = ledger.add(Self.key("111111111111", "d"), memoryMB: 128, provisioned: true, claimed: false, policy: Self.policy, now: 6)
        ledger.handle(p, .initialized, now: 6)
        #expect(ledger.room(memoryMB: 384, tenant: "111111111111", waiting: []) == .full) // b + c free only 256
    }

    @Test("capacity counts environments as well as memory")
    func environmentCount() {
        let (ledger, ids) = Self.ledger(budget: CapacityBudget(memoryMB: 100_000, environments: 2), ready: [Self.key("111111111111", "a"), Self.key("111111111111", "b")])
        #expect(ledger.room(memoryMB: 128, tenant: "111111111111", waiting: []) == .evict([ids[0]]))
    }

    @Test("fair share: a tenant over its share while another waits may evict only its own idle environments")
    func fairShare() {
        let t1 = "111111111111", t2 = "222222222222"
        // t1 holds the whole box: 3 busy, 1 idle; t2 holds one idle environment.
        var (ledger, ids) = Self.ledger(budget: CapacityBudget(memoryMB: 640, environments: 100),
                                        ready: [Self.key(t1, "a"), Self.key(t1, "a"), Self.key(t1, "a"), Self.key(t1, "a"), Self.key(t2, "b")])
        for _ in 0..<3 { _ = ledger.claimReady(Self.key(t1, "a"), now: 10) }
        let t1Idle = ids[0...3].first { ledger.members[$0]?.state == .ready }!
        // Alone, t1 may take t2's idle environment if it is the least recently used... t1's own is older.
        #expect(ledger.room(memoryMB: 128, tenant: t1, waiting: []) == .evict([t1Idle]))
        // With t2 waiting, the share is 320 MB: t1 (640) is over it and may evict only its own.
        _ = ledger.claimReady(Self.key(t1, "a"), now: 11)
        #expect(ledger.room(memoryMB: 128, tenant: t1, waiting: [t2]) == .full)
        #expect(ledger.room(memoryMB: 128, tenant: t1, waiting: []) == .evict([ids[4]]))
        // t2, busy with its one environment, is under its share: it may evict t1's once one finishes.
        _ = ledger.claimReady(Self.key(t2, "b"), now: 12)
        #expect(ledger.room(memoryMB: 128, tenant: t2, waiting: [t1]) == .full)
        ledger.handle(t1Idle, .finished, now: 13)
        #expect(ledger.room(memoryMB: 128, tenant: t2, waiting: [t1]) == .evict([t1Idle]))
        #expect(ledger.room(memoryMB: 256, tenant: t2, waiting: [t1]) == .full) // 384 MB would be over its 320
        // Waiting invocations are served tenants with less memory first.
        #expect(ledger.serviceOrder([(t1, 1), (t2, 2), (t1, 0)]) == [1, 2, 0])
    }

    @Test("idle timeout and lifetime expire environments on tick; provisioned ones never idle out")
    func expiry() {
        var (ledger, ids) = Self.ledger(budget: CapacityBudget(memoryMB: 10_000, environments: 100), ready: [Self.key(), Self.key()])
        let p = ledger.add(Self.key(), memoryMB: 128, provisioned: true, claimed: false,
                           policy: EnvironmentLifecycle.Policy(idleTimeout: nil, maxLifetime: 3600), now: 0)
        ledger.handle(p, .initialized, now: 0)
        _ = ledger.claimReady(Self.key(), now: 30) // the provisioned one is busy now
        _ = ledger.claimReady(Self.key(), now: 30) // then ids[1]
        ledger.handle(ids[1], .finished, now: 40)
        #expect(ledger.tick(now: 59) == [])
        #expect(ledger.tick(now: 61) == [ids[0]])
        #expect(ledger.tick(now: 99) == [])
        #expect(ledger.tick(now: 100) == [ids[1]])
        ledger.handle(p, .finished, now: 100)
        #expect(ledger.tick(now: 3000) == [])
        #expect(ledger.tick(now: 3600) == [p])
        #expect(ledger.members.isEmpty)
    }

    @Test("draining: idle environments go now, busy ones after their invocation, a claimed cold start serves its caller first")
    func draining() {
        var (ledger, ids) = Self.ledger(budget: CapacityBudget(memoryMB: 10_000, environments: 100), ready: [Self.key(), Self.key(), Self.key(version: "1")])
        _ = ledger.claimReady(Self.key(), now: 5)
        let starting = ledger.add(Self.key(), memoryMB: 128, provisioned: false, claimed: true, policy: Self.policy, now: 6)
        let busy = ids[0...1].first { ledger.members[$0]?.state == .busy }!
        let idle = ids[0...1].first { $0 != busy }!
        #expect(ledger.drain(Self.key().function, version: "$LATEST", now: 7) == [idle])
        #expect(ledger.members[busy]?.state == .draining)
        #expect(ledger.members[ids[2]]?.state == .ready) // version 1 is untouched
        #expect(ledger.handle(busy, .finished, now: 8) == [.destroy])
        ledger.handle(starting, .initialized, now: 9)
        ledger.handle(starting, .assigned, now: 9)
        #expect(ledger.members[starting]?.state == .draining)
        #expect(ledger.handle(starting, .finished, now: 10) == [.destroy])
        #expect(ledger.drain(Self.key().function, now: 11) == [ids[2]])
        #expect(ledger.members.isEmpty)
    }

    @Test("fresh mode: an environment serves one invocation and goes")
    func fresh() {
        var ledger = PoolLedger(budget: CapacityBudget(memoryMB: 10_000, environments: 100))
        let id = ledger.add(Self.key(), memoryMB: 128, provisioned: false, claimed: false,
                            policy: EnvironmentLifecycle.Policy(mode: .fresh), now: 0)
        ledger.handle(id, .initialized, now: 1)
        #expect(ledger.claimReady(Self.key(), now: 2) == id)
        #expect(ledger.handle(id, .finished, now: 3) == [.destroy])
        #expect(ledger.members.isEmpty)
    }

    @Test("traffic is rising when two or more environments of a version are taken and none is ready or starting ahead")
    func trafficRising() {
        var (ledger, ids) = Self.ledger(budget: CapacityBudget(memoryMB: 10_000, environments: 100), ready: [Self.key(), Self.key()])
        #expect(!ledger.trafficRising(Self.key()))
        _ = ledger.claimReady(Self.key(), now: 5)
        #expect(!ledger.trafficRising(Self.key()), "one is still ready")
        _ = ledger.claimReady(Self.key(), now: 5)
        #expect(ledger.trafficRising(Self.key()), "both busy")
        let ahead = ledger.add(Self.key(), memoryMB: 128, provisioned: false, claimed: false, policy: Self.policy, now: 6)
        #expect(!ledger.trafficRising(Self.key()), "one is already starting ahead")
        ledger.handle(ahead, .failed, now: 7)
        _ = ledger.add(Self.key(), memoryMB: 128, provisioned: false, claimed: true, policy: Self.policy, now: 7)
        #expect(ledger.trafficRising(Self.key()), "a cold start for a waiting invocation counts as taken")
        #expect(!ledger.trafficRising(Self.key(version: "1")))
        ledger.handle(ids[0], .finished, now: 8)
        #expect(!ledger.trafficRising(Self.key()))
    }

    @Test("default budget: three quarters of memory, one environment per 128 MB")
    func defaults() {
        #expect(CapacityBudget.defaults(physicalMemoryBytes: 24 << 30) == CapacityBudget(memoryMB: 18432, environments: 144))
        #expect(CapacityBudget.defaults(physicalMemoryBytes: 1 << 40).environments == 4096)
    }
}
