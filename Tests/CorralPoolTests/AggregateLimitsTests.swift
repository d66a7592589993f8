import CorralPool
import Testing

@Suite struct AggregateLimitsTests {
    @Test("the parent holds 1024 tasks per environment, at most half of pid_max, at least one environment's worth")
    func parentPids() {
        #expect(AggregateLimits(budget: CapacityBudget(memoryMB: 6144, environments: 48), pidMax: 32768).pids == 16384)
        #expect(AggregateLimits(budget: CapacityBudget(memoryMB: 1024, environments: 8), pidMax: 4_194_304).pids == 8192)
        #expect(AggregateLimits(budget: CapacityBudget(memoryMB: 128, environments: 1), pidMax: 1000).pids == 1024)
        #expect(AggregateLimits(budget: CapacityBudget(memoryMB: 128, environments: 4), pidMax: 32768, pids: 2048).pids == 2048)
        let parent = AggregateLimits(budget: CapacityBudget(memoryMB: 1024, environments: 4), pidMax: 32768).parent
        #expect(parent.memoryBytes == 1 << 30 && parent.pids == 4096)
    }

    @Test("the default tenant quota is three quarters of the environments, at least one")
    func defaultQuota() {
        #expect(AggregateLimits.defaultTenantConcurrency(environments: 4) == 3)
        #expect(AggregateLimits.defaultTenantConcurrency(environments: 1) == 1)
        #expect(AggregateLimits.defaultTenantConcurrency(environments: 141) == 105)
        #expect(AggregateLimits(budget: CapacityBudget(memoryMB: 512, environments: 4), pidMax: 32768, defaultTenantConcurrency: 4).defaultTenantConcurrency == 4)
    }

    @Test("a tenant's share: pids by its concurrency, memory of that many of its largest environments, both within the parent's")
    func tenantShare() {
        let limits = AggregateLimits(budget: CapacityBudget(memoryMB: 1024, environments: 4), pidMax: 32768, pids: 2048)
        let byDefault = limits.tenant(concurrency: nil, memorySizeMB: 10240)
        #expect(byDefault.pids == 1536 && byDefault.memoryBytes == 1 << 30)
        let small = limits.tenant(concurrency: 1, memorySizeMB: 128)
        #expect(small.pids == 1024 && small.memoryBytes == 128 << 20)
        // A quota above the host's environments gets the whole parent, no more.
        let large = limits.tenant(concurrency: 100, memorySizeMB: 10240)
        #expect(large.pids == 2048 && large.memoryBytes == 1 << 30)
    }

    @Test("a tenant without a quota of its own is held to the default one; one with a quota to its own")
    func ledgerDefaultQuota() {
        var ledger = PoolLedger(budget: CapacityBudget(memoryMB: 10_000, environments: 100))
        ledger.defaultTenantQuota = 2
        ledger.tenantQuota["222222222222"] = 3
        let a = PoolKey(account: "111111111111", function: "f", version: "$LATEST", revisionID: "r").function
        let b = PoolKey(account: "222222222222", function: "f", version: "$LATEST", revisionID: "r").function
        for _ in 0..<2 { ledger.beginInvocation(a); ledger.beginInvocation(b) }
        #expect(ledger.throttle(a) == .concurrentInvocations)
        #expect(ledger.throttle(b) == nil)
        ledger.beginInvocation(b)
        #expect(ledger.throttle(b) == .concurrentInvocations)
    }
}
