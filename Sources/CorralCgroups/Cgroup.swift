#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// One sandbox's cgroup: a directory per v1 hierarchy, or one v2 directory, under a parent group that
/// Corral owns (default "corral"). Corral never creates, changes or removes anything outside that parent.
///
/// Thread-safe: every stored property is immutable; the kernel serializes the file operations.
public final class Cgroup: @unchecked Sendable {
    public let host: CgroupHost
    public let name: String
    /// The parent group's name, relative to the cgroup root (or to each v1 hierarchy).
    public let parent: String
    let backend: any CgroupBackend
    let kernel: any CgroupKernel

    init(host: CgroupHost, parent: String, name: String, backend: any CgroupBackend, kernel: any CgroupKernel) {
        self.host = host
        self.parent = parent
        self.name = name
        self.backend = backend
        self.kernel = kernel
    }

    /// Creates the parent group `parent` if needed (on v2 enabling +memory +pids +cpu in the
    /// `cgroup.subtree_control` of the root and of the parent, only where not already enabled) and the child
    /// group `name`, then applies `limits`.
    ///
    /// `parent` and `name` must each be one path component. Throws a `SystemError` whose stage names the file
    /// that failed (EEXIST when the group already exists, EINVAL for a bad name or limit, ENODEV when a limit's
    /// controller is missing); on failure removes the directories this call created.
    public static func create(host: CgroupHost, parent: String = "corral", name: String,
                              limits: CgroupLimits) throws(SystemError) -> Cgroup {
        try create(host: host, parent: parent, name: name, limits: limits, kernel: LinuxCgroupKernel())
    }

    /// `create` with the kernel as a seam, for unit tests over fake trees.
    static func create(host: CgroupHost, parent: String = "corral", name: String, limits: CgroupLimits,
                       kernel: any CgroupKernel) throws(SystemError) -> Cgroup {
        guard CgroupFormat.isValidParent(parent) else {
            throw SystemError(stage: "cgroup parent \"\(parent)\" (must be names joined by '/')", errno: EINVAL)
        }
        guard CgroupFormat.isValidName(name) else {
            throw SystemError(stage: "cgroup name \"\(name)\" (must be one path component)", errno: EINVAL)
        }
        try checkControllers(host: host, limits: limits)
        var transaction = DirectoryTransaction(kernel: kernel)
        do {
            let backend: any CgroupBackend
            switch host.version {
            case .v1:
                backend = try CgroupV1.create(host: host, parent: parent, name: name, kernel: kernel,
                                              transaction: &transaction)
            case .v2:
                backend = try CgroupV2.create(host: host, parent: parent, name: name, kernel: kernel,
                                              transaction: &transaction)
            }
            try backend.applyLimits(limits)
            return Cgroup(host: host, parent: parent, name: name, backend: backend, kernel: kernel)
        } catch {
            transaction.rollBack()
            throw error
        }
    }

    /// Fails before anything is created when a requested limit has no controller to enforce it.
    static func checkControllers(host: CgroupHost, limits: CgroupLimits) throws(SystemError) {
        let needed = [("memory", limits.memoryBytes != nil), ("cpu", limits.cpuQuota != nil), ("pids", limits.pidsMax != nil)]
        for (controller, isNeeded) in needed where isNeeded && !host.supports(controller) {
            throw SystemError(stage: "cgroup \(controller) controller not available at \(host.root)", errno: ENODEV)
        }
    }

    /// v2: the group's directory, for clone3's CLONE_INTO_CGROUP (the caller opens it O_DIRECTORY|O_CLOEXEC
    /// and closes it). nil on v1.
    public var unifiedPath: String? { backend.unifiedPath }

    /// Applies `limits` to an existing group (one made ahead of time without limits, say). Swap stays off.
    /// Throws ENODEV when a limit's controller is missing.
    public func setLimits(_ limits: CgroupLimits) throws(SystemError) {
        try Self.checkControllers(host: host, limits: limits)
        try backend.applyLimits(limits)
    }

    /// Moves `pid` into the group (v1: every hierarchy's `cgroup.procs`; v2: `cgroup.procs`). For when
    /// clone3 CLONE_INTO_CGROUP is unavailable; the process's threads move with it.
    public func attach(pid: Int32) throws(SystemError) {
        try backend.attach(pid: pid)
    }

    /// What the kernel accounted so far. Best effort: missing files give nil (or 0 for `oomKills`).
    public func stats() -> CgroupStats {
        backend.stats()
    }

    /// The peak memory use so far (memory.max_usage_in_bytes on v1, memory.peak on v2); nil if unknown.
    public func peakMemoryBytes() -> UInt64? {
        backend.peakMemoryBytes()
    }

    /// The processes in the group (`cgroup.procs`; v1: the union over its hierarchies), in the caller's
    /// pid namespace. Empty when the group is gone.
    public func processIDs() -> [Int32] {
        backend.processIDs()
    }

    /// Kills every process in the group and waits, about 2 s at most, until `cgroup.procs` is empty.
    ///
    /// v2 writes "1" to `cgroup.kill` (5.14+), else freezes, sends SIGKILL and SIGCONT to each process and
    /// thaws. v1 freezes with the freezer, waits for FROZEN, signals every process, thaws, and repeats.
    /// Killed children of the caller still need reaping (waitpid); zombies no longer appear in
    /// `cgroup.procs`. Throws EBUSY when processes remain after the deadline.
    public func killAll() throws(SystemError) {
        for round in 0..<CgroupTiming.killRounds {
            if processIDs().isEmpty { return }
            // Signal again every 100 ms: a process forked during the previous round may have escaped it.
            if round % 10 == 0 { try backend.killRound() }
            kernel.pause(milliseconds: CgroupTiming.pollMilliseconds)
        }
        if processIDs().isEmpty { return }
        throw SystemError(stage: "kill cgroup \(parent)/\(name): processes remain after 2 s", errno: EBUSY)
    }

    /// Removes the group's directories (not the parent, which other sandboxes share). rmdir is retried for
    /// about 1 s on EBUSY while dying tasks drain. Idempotent: directories already gone are skipped.
    public func remove() throws(SystemError) {
        for directory in backend.directories.reversed() {
            try Self.removeDirectory(directory, kernel: kernel)
        }
    }

    static func removeDirectory(_ path: String, kernel: any CgroupKernel) throws(SystemError) {
        var round = 0
        while true {
            do {
                try kernel.removeDirectory(path)
                return
            } catch {
                if error.errno == ENOENT { return }
                round += 1
                guard error.errno == EBUSY, round < CgroupTiming.removeRounds else { throw error }
                kernel.pause(milliseconds: CgroupTiming.pollMilliseconds)
            }
        }
    }
}
