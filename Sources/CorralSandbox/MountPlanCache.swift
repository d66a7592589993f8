import CorralSystem

/// Recently built mount plans, so back-to-back launches of the same kind of sandbox skip probing the host
/// (about 20 lstat/readlink/realpath calls) and hashing the skeleton again.
///
/// A plan depends on the spec's root, host name, binds and tmpfs sizes, and on the host's files (which /etc
/// entries exist, where /lib64 points, what a bind source resolves to). Host files change rarely but can,
/// so an entry is reused for at most `lifetime`; the child still opens every path itself, without
/// following symlinks, when it mounts.
struct MountPlanCache {
    struct Key: Equatable {
        var root: RootFilesystem
        var hostname: String
        var binds: [BindMount]
        var memoryDirectories: [MemoryDirectory]
        var tmpBytes: UInt64
        var shmBytes: UInt64

        init(_ spec: SandboxSpec) {
            root = spec.rootFilesystem
            hostname = spec.hostname
            binds = spec.binds
            memoryDirectories = spec.memoryDirectories
            tmpBytes = spec.limits.tmpBytes
            shmBytes = spec.limits.shmBytes
        }
    }

    static let lifetime: UInt64 = 2_000_000_000 // ns
    static let capacity = 8

    private var entries: [(key: Key, plan: MountPlan, made: UInt64)] = []

    /// The cached plan for `key`, if it is younger than `lifetime` at `now`.
    mutating func plan(for key: Key, now: UInt64) -> MountPlan? {
        entries.removeAll { now &- $0.made > Self.lifetime }
        return entries.first { $0.key == key }?.plan
    }

    mutating func insert(_ plan: MountPlan, for key: Key, now: UInt64) {
        entries.removeAll { $0.key == key }
        if entries.count >= Self.capacity { entries.removeFirst() }
        entries.append((key, plan, now))
    }
}
