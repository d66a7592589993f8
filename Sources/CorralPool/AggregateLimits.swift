/// The kernel's caps over many environments at once: the parent cgroup's (every sandbox together) and
/// each tenant's, derived from the capacity budget and the tenants' quotas. Each environment has its own
/// pids.max (1024) and memory.max; these make sure their sum cannot take what the host needs (pid_max is
/// 32768 by default, well below 1024 x the default capacity) and one tenant cannot take the others' share.
public struct AggregateLimits: Equatable, Sendable {
    public var budget: CapacityBudget
    /// Tasks (processes and threads) all sandboxes together may hold: the parent's pids.max.
    public var pids: Int
    /// The concurrency quota of a tenant that has none of its own.
    public var defaultTenantConcurrency: Int

    /// Each environment's own pids.max.
    public static let environmentPids = 1024

    /// `pids` from the host's pid_max: an environment's worth per environment of the budget, but never
    /// more than half of pid_max (the other half stays the host's), and at least one environment's worth.
    public init(budget: CapacityBudget, pidMax: Int, defaultTenantConcurrency: Int? = nil, pids: Int? = nil) {
        self.budget = budget
        self.pids = pids ?? max(Self.environmentPids, min(budget.environments * Self.environmentPids, pidMax / 2))
        self.defaultTenantConcurrency = defaultTenantConcurrency ?? Self.defaultTenantConcurrency(environments: budget.environments)
    }

    /// Three quarters of the host's environments (at least one): a tenant alone cannot fill the host.
    public static func defaultTenantConcurrency(environments: Int) -> Int {
        max(1, environments * 3 / 4)
    }

    /// The parent's memory.max (the budget's memory) and pids.max.
    public var parent: (memoryBytes: UInt64, pids: Int) {
        (UInt64(budget.memoryMB) << 20, pids)
    }

    /// A tenant's memory.max and pids.max, from its concurrency quota (`concurrency`, or the default) and
    /// the largest memory size its functions may have: as much memory as that many of its largest
    /// environments (at most the budget), and its share of `pids` by concurrency (at least one
    /// environment's worth, at most the parent's).
    public func tenant(concurrency: Int?, memorySizeMB: Int) -> (memoryBytes: UInt64, pids: Int) {
        let environments = max(1, budget.environments)
        let share = max(1, min(concurrency ?? defaultTenantConcurrency, environments))
        let memoryMB = min(budget.memoryMB, share * max(1, memorySizeMB))
        let pids = min(self.pids, max(Self.environmentPids, self.pids * share / environments))
        return (UInt64(memoryMB) << 20, pids)
    }
}
