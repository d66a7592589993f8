/// What the kernel accounted for a sandbox's cgroup. Read best effort: a missing file gives `nil` (or 0).
public struct CgroupStats: Sendable, Equatable {
    /// Peak memory use in bytes: v2 `memory.peak` (absent before Linux 5.19), v1 `memory.max_usage_in_bytes`.
    public var peakMemoryBytes: UInt64?
    /// CPU time used, in nanoseconds: v2 `cpu.stat` `usage_usec` × 1000, v1 `cpuacct.usage`.
    public var cpuTimeNanoseconds: UInt64?
    /// OOM kills inside the group: v2 `memory.events` `oom_kill`, v1 `memory.oom_control` `oom_kill`.
    public var oomKills: UInt64
    /// How often a fork failed at `pids.max`: `pids.events` `max` (v1 and v2).
    public var pidsMaxEvents: UInt64?

    public init(peakMemoryBytes: UInt64? = nil, cpuTimeNanoseconds: UInt64? = nil, oomKills: UInt64 = 0,
                pidsMaxEvents: UInt64? = nil) {
        self.peakMemoryBytes = peakMemoryBytes
        self.cpuTimeNanoseconds = cpuTimeNanoseconds
        self.oomKills = oomKills
        self.pidsMaxEvents = pidsMaxEvents
    }
}
