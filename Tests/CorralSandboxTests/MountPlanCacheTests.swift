@testable import CorralSandbox
import Testing

@Suite struct MountPlanCacheTests {
    let plan = MountPlan(rootSource: "/run/corral/skeleton/a", operations: [.tmpfs(on: "tmp", options: "size=1", .hardened)])
    let other = MountPlan(rootSource: "/run/corral/skeleton/b", operations: [])

    @Test("a plan is reused for the same root, host name, binds and sizes, and only while it is young")
    func reuseWithinLifetime() {
        var cache = MountPlanCache()
        let key = MountPlanCache.Key(SandboxSpec(argv: ["/bin/true"]))
        #expect(cache.plan(for: key, now: 1_000) == nil)
        cache.insert(plan, for: key, now: 1_000)
        #expect(cache.plan(for: key, now: 1_000 + MountPlanCache.lifetime) == plan)
        #expect(cache.plan(for: key, now: 1_001 + MountPlanCache.lifetime) == nil)
        // Expired entries are dropped, not revived by a later clock reading.
        #expect(cache.plan(for: key, now: 1_000) == nil)
    }

    @Test("anything the plan depends on makes a different key; argv, environment and limits the plan ignores do not")
    func keys() {
        let base = SandboxSpec(argv: ["/bin/true"])
        var cache = MountPlanCache()
        cache.insert(plan, for: .init(base), now: 0)
        var sameShape = base
        sameShape.argv = ["/bin/false"]
        sameShape.environment = ["A=1"]
        sameShape.limits.memoryBytes = 64 << 20
        #expect(cache.plan(for: .init(sameShape), now: 0) == plan)
        var variants: [SandboxSpec] = []
        var spec = base
        spec.hostname = "other"
        variants.append(spec)
        spec = base
        spec.binds = [BindMount(source: "/srv", destination: "/data", readOnly: true)]
        variants.append(spec)
        spec = base
        spec.limits.tmpBytes = 1 << 20
        variants.append(spec)
        spec = base
        spec.limits.shmBytes = 1 << 20
        variants.append(spec)
        spec = base
        spec.rootFilesystem = .directory("/srv/root")
        variants.append(spec)
        for variant in variants {
            #expect(cache.plan(for: .init(variant), now: 0) == nil, "\(variant)")
        }
    }

    @Test("the cache holds at most `capacity` plans, dropping the oldest")
    func capacity() {
        var cache = MountPlanCache()
        var keys: [MountPlanCache.Key] = []
        for index in 0...MountPlanCache.capacity {
            let key = MountPlanCache.Key(SandboxSpec(argv: ["/bin/true"], hostname: "h\(index)"))
            keys.append(key)
            cache.insert(index == 0 ? other : plan, for: key, now: 0)
        }
        #expect(cache.plan(for: keys[0], now: 0) == nil)
        #expect(cache.plan(for: keys[MountPlanCache.capacity], now: 0) == plan)
        #expect(cache.plan(for: keys[1], now: 0) == plan)
    }
}
