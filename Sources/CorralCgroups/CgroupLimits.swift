/// Limits applied to a sandbox's cgroup before the sandbox starts. `nil` means not limited.
public struct CgroupLimits: Sendable, Equatable {
    /// Memory limit in bytes. Swap is always disabled: v2 writes `memory.swap.max=0`; v1 sets
    /// `memory.memsw.limit_in_bytes` to the memory limit when that file exists, and `memory.swappiness=0`.
    public var memoryBytes: UInt64?
    /// CPU bandwidth in CPUs: 0.5 becomes 50000 µs of runtime per 100000 µs period. Must be finite and > 0;
    /// quotas under the kernel's 1 ms minimum are raised to 1 ms.
    public var cpuQuota: Double?
    /// `pids.max`: the most tasks the group may hold. The pids controller counts threads, not just processes.
    public var pidsMax: Int?

    public init(memoryBytes: UInt64? = nil, cpuQuota: Double? = nil, pidsMax: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpuQuota = cpuQuota
        self.pidsMax = pidsMax
    }
}
