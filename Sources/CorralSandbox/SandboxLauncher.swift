import CCap
import CCorral
import CorralCgroups
import CorralSeccomp
import CorralSystem
import Foundation

/// Starts sandboxes on this host. Holds what is detected once (cgroup layout, clone3, capability count)
/// and what is prepared once (compiled seccomp programs), so each launch only does per-sandbox work.
public final class SandboxLauncher: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// The cgroup group Corral creates its sandboxes under (never touches others).
        public var cgroupParent: String = "corral"
        /// Memory and pids limits written to the parent at start (the host's capacity for all sandboxes
        /// together); nil leaves the parent's as they are. The group's name is ignored.
        public var parentLimits: SandboxGroup?
        /// Where each sandbox assembles its root, inside its own mount namespace (shared name, private mounts).
        public var stagingDirectory: String = "/run/corral/root"
        public var cgroupRoot: String = "/sys/fs/cgroup"
        /// How many network namespaces and cgroups to keep ready (0: make each during its launch). Worth it
        /// for a long-lived supervisor; a one-shot `corral run` leaves it at 0.
        public var prefilledPool = 0
        /// Where host-root skeletons are written once and reused (see RootSkeleton); nil builds each root
        /// from scratch in the child.
        public var skeletonDirectory: String? = "/run/corral/skeleton"
        /// Build each bound root, with its system binds, once into a RootNamespace that sandboxes are born
        /// in (false: every launch binds its root and pivots into it; kept for comparison).
        public var rootNamespaces = true
        /// Split each seccomp profile (SeccompSplit): the cloning thread carries the outer filter and each
        /// sandbox loads only the small inner one (false: each sandbox loads the whole profile; kept for
        /// comparison and as the fallback for profiles that cannot be split).
        public var splitSeccomp = true
        /// Let the main thread, when it launches, carry the outer filter of the first profile it launches
        /// with, for good (see SpawnThread). For processes whose main thread does little but launch
        /// sandboxes (`corral run`, `corral bench spawn`); anywhere else launches hand over to spawn threads.
        public var mainThreadCarriesFilter = false
        /// Record when each phase of every launch happened (`SandboxProcess.spawnTrace`); for benchmarks.
        public var traceSpawn = false
        public init() {}
    }

    public let configuration: Configuration
    public let cgroupHost: CgroupHost
    public let clone3Supported: Bool
    let lastCapability: Int32
    let hostNetworkNamespace: Int32
    /// The mount namespace the cloning threads return to after entering a RootNamespace.
    let hostMountNamespace: Int32
    private var rootNamespaces: [RootNamespace] = []
    let networkNamespaces: PrefilledPool<Int32>?
    /// The thread's own IPC namespace, and IPC namespaces made ahead (each new one registers its sysctls and
    /// mounts an mqueue instance: about 50 us of the clone, docs/benchmarks.md). Like the network
    /// namespaces made ahead, they belong to the supervisor's user namespace, which only makes them stricter
    /// for the sandbox: it cannot change their limits.
    let hostIPCNamespace: Int32
    let ipcNamespaces: PrefilledPool<Int32>?
    let cgroups: PrefilledPool<PooledCgroup>?
    /// The limits the cgroup pool writes ahead: those of the latest launch, so a steady stream of alike
    /// sandboxes finds its limits already in place.
    private let expectedLimits = LockedValue(CgroupLimits())
    /// v1: fds open on the `tasks` files of the cloning threads' own groups; writing "0" to each takes the
    /// writing thread back home after a clone (see CgroupThread). Empty on v2.
    let spawnThreadHome: [Int32]
    private let lock = NSLock()
    private var seccompCache: [(SeccompProfile, SandboxFilter)] = []
    private var planCache = MountPlanCache()
    /// The limits last written to each aggregate group (SandboxGroup) this launcher made sandboxes in.
    private var groupLimits: [String: SandboxGroup] = [:]
    private static let counterLock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// Detects the host. Throws `SandboxError.unsupported` when sandboxes cannot run here (not root, ...).
    public init(configuration: Configuration = Configuration()) throws(SandboxError) {
        guard geteuid() == 0 else {
            throw .unsupported("creating sandboxes needs root (each one maps its root to an unprivileged host uid and gets its own cgroup)")
        }
        self.configuration = configuration
        do {
            cgroupHost = try CgroupHost.detect(root: configuration.cgroupRoot)
        } catch {
            throw .unsupported("no usable cgroup hierarchy at \(configuration.cgroupRoot): \(error)")
        }
        clone3Supported = corral_clone3_supported() != 0
        lastCapability = Int32(cap_max_bits()) - 1
        do {
            // This thread's (thread-self), not the main thread's: another thread may be inside a sandbox's
            // network, IPC or root namespace for a clone at this moment.
            hostNetworkNamespace = try FileDescriptor.open("/proc/thread-self/ns/net", O_RDONLY)
            hostIPCNamespace = try FileDescriptor.open("/proc/thread-self/ns/ipc", O_RDONLY)
            hostMountNamespace = try FileDescriptor.open("/proc/thread-self/ns/mnt", O_RDONLY)
            for path in SandboxLauncher.parents(of: configuration.stagingDirectory) + [configuration.stagingDirectory] {
                // 0755: the child runs as an unprivileged host uid and must traverse these to mount on them.
                try FileSystem.makeDirectory(path, mode: 0o755, existOK: true)
            }
            // Sandboxes inherit the supervisor's supplementary groups, and setgroups is denied inside; the
            // supervisor (root) needs none, so drop them once for every later sandbox.
            try syscall("setgroups") { setgroups(0, nil) }
        } catch {
            throw .host(error)
        }
        SupervisorIdentity.reapOrphanedCgroups(host: cgroupHost, parent: configuration.cgroupParent)
        if let limits = configuration.parentLimits {
            do {
                try Cgroup.limitGroup(host: cgroupHost, path: configuration.cgroupParent,
                                      limits: CgroupLimits(memoryBytes: limits.memoryBytes, pidsMax: limits.pids))
            } catch {
                throw .host(error)
            }
        }
        // The process's threads share its groups (Corral never moves one for longer than a clone).
        let home = cgroupHost.version == .v1 ? (try? CgroupThread.currentDirectories(host: cgroupHost)) ?? [] : []
        let homeFDs = home.compactMap { try? FileDescriptor.open($0 + "/tasks", O_WRONLY) }
        if homeFDs.count == home.count {
            spawnThreadHome = homeFDs
        } else {
            homeFDs.forEach(FileDescriptor.close)
            spawnThreadHome = []
        }
        if configuration.prefilledPool > 0 {
            let hostNamespace = hostNetworkNamespace
            networkNamespaces = PrefilledPool(name: "corral-netns-pool", capacity: configuration.prefilledPool) {
                let fd = corral_netns_create(hostNamespace)
                return fd >= 0 ? fd : nil
            }
            let hostIPC = hostIPCNamespace
            ipcNamespaces = PrefilledPool(name: "corral-ipcns-pool", capacity: configuration.prefilledPool) {
                let fd = corral_ipcns_create(hostIPC)
                return fd >= 0 ? fd : nil
            }
            let parent = configuration.cgroupParent
            cgroups = PrefilledPool(name: "corral-cgroup-pool", capacity: configuration.prefilledPool) { [cgroupHost, expectedLimits] in
                let limits = expectedLimits.value
                let name = SupervisorIdentity.current.sandboxName(SandboxLauncher.nextCounter())
                return (try? Cgroup.create(host: cgroupHost, parent: parent, name: name, limits: limits)).map { PooledCgroup(cgroup: $0, limits: limits) }
            }
        } else {
            networkNamespaces = nil
            ipcNamespaces = nil
            cgroups = nil
        }
    }

    private static func parents(of path: String) -> [String] {
        SandboxPath.prefixes(path).dropLast().map { "/" + $0 }
    }

    /// The system calls the cloning thread and a sandbox's setup make that a profile may refuse the
    /// workload: a split profile lets the outer filter allow them and the inner one decide them.
    static let setupSystemCalls: Set<String> = [
        "clone", "clone3", "unshare", "setns", "sethostname",
        "mount", "umount2", "open_tree", "move_mount", "mount_setattr", "pivot_root",
    ]

    /// The compiled filter for `profile`, compiled on first use, with its split when it has one.
    func filter(for profile: SeccompProfile) throws -> SandboxFilter {
        lock.lock()
        defer { lock.unlock() }
        if let hit = seccompCache.first(where: { $0.0 == profile }) { return hit.1 }
        let full = try SeccompCompiler.compile(profile)
        // A profile whose rules for a setup call cannot be restated alone is loaded whole by each sandbox.
        let split = configuration.splitSeccomp ? try? SeccompCompiler.split(profile, keeping: Self.setupSystemCalls) : nil
        let filter = SandboxFilter(full: full, split: split)
        seccompCache.append((profile, filter))
        return filter
    }

    /// Releases what the pools made ahead (their cgroups are removed, their namespaces closed). Call before
    /// the process exits; sandboxes still running are not affected.
    public func shutdown() {
        networkNamespaces?.close { FileDescriptor.close($0) }
        ipcNamespaces?.close { FileDescriptor.close($0) }
        cgroups?.close { try? $0.cgroup.remove() }
    }

    deinit {
        // The pools' threads use the host namespace fd: stop them before closing it.
        shutdown()
        FileDescriptor.close(hostNetworkNamespace)
        FileDescriptor.close(hostIPCNamespace)
        FileDescriptor.close(hostMountNamespace)
        spawnThreadHome.forEach(FileDescriptor.close)
    }

    /// Numbers the sandboxes of this process (and so their cgroups), across launchers.
    static func nextCounter() -> Int {
        counterLock.lock()
        defer { counterLock.unlock() }
        counter += 1
        return counter
    }

    /// The sandbox's cgroup with `limits` applied: a ready one from the pool, else a new one.
    /// The sandbox's own group: in its tenant's group when the spec names one (made, or its limits
    /// rewritten, when they changed), else under the parent, from the pool made ahead when it has one.
    private func makeCgroup(_ limits: CgroupLimits, in group: SandboxGroup?) throws(SystemError) -> Cgroup {
        if let group {
            guard !group.name.isEmpty, !group.name.contains("/"), group.name != ".", group.name != ".." else {
                throw SystemError(stage: "cgroup group name \"\(group.name)\" (must be one path component)", errno: EINVAL)
            }
            let path = configuration.cgroupParent + "/" + group.name
            let known = lock.withLock { groupLimits[group.name] }
            if known != group {
                try Cgroup.limitGroup(host: cgroupHost, path: path, limits: CgroupLimits(memoryBytes: group.memoryBytes, pidsMax: group.pids))
                lock.withLock { groupLimits[group.name] = group }
            }
            return try Cgroup.create(host: cgroupHost, parent: path, name: SupervisorIdentity.current.sandboxName(Self.nextCounter()), limits: limits)
        }
        expectedLimits.value = limits
        if let ready = cgroups?.take() {
            if ready.limits == limits { return ready.cgroup }
            // Writing only the limits asked for would leave others the pool wrote: only a group made
            // without limits can take new ones.
            if ready.limits == CgroupLimits() {
                do {
                    try ready.cgroup.setLimits(limits)
                    return ready.cgroup
                } catch {
                    try? ready.cgroup.remove()
                    throw error
                }
            }
            try? ready.cgroup.remove()
        }
        return try Cgroup.create(host: cgroupHost, parent: configuration.cgroupParent,
                                 name: SupervisorIdentity.current.sandboxName(Self.nextCounter()), limits: limits)
    }

    /// The mount plan for `spec` with the host root's content moved to its skeleton: a recent one from the
    /// cache (see MountPlanCache), else built now.
    private func mountPlan(for spec: SandboxSpec, now: UInt64) throws(SandboxError) -> MountPlan {
        let key = MountPlanCache.Key(spec)
        lock.lock()
        let cached = planCache.plan(for: key, now: now)
        lock.unlock()
        if let cached { return cached }
        var plan: MountPlan
        do {
            plan = try MountPlan.make(for: spec)
        } catch {
            throw .invalidSpec(error)
        }
        if let base = configuration.skeletonDirectory, let (content, launchOperations) = RootSkeleton.split(plan) {
            do {
                plan = MountPlan(rootSource: try RootSkeleton(base: base).prepare(content), operations: launchOperations)
            } catch {
                throw .host(error)
            }
        }
        if configuration.rootNamespaces, let rootSource = plan.rootSource, let (shared, launchOperations) = RootNamespace.split(plan) {
            let namespace = try rootNamespace(for: RootNamespace.key(rootSource: rootSource, shared: shared))
            plan = MountPlan(rootSource: rootSource, operations: launchOperations, rootNamespace: namespace)
        }
        plan = plan.markingEarlyOperations()
        lock.lock()
        planCache.insert(plan, for: key, now: now)
        lock.unlock()
        return plan
    }

    /// The namespace for `key`: one built before, else a new one. The few most recent are kept; one
    /// dropped here lives on while a cached plan still uses it.
    private func rootNamespace(for key: RootNamespace.Key) throws(SandboxError) -> RootNamespace {
        if let known = lock.withLock({ rootNamespaces.first { $0.key == key } }) { return known }
        let made = try RootNamespace.build(key, stagingDirectory: configuration.stagingDirectory)
        lock.withLock {
            rootNamespaces.removeAll { $0.key.rootSource == key.rootSource && $0.key.operations == key.operations }
            if rootNamespaces.count >= MountPlanCache.capacity { rootNamespaces.removeFirst() }
            rootNamespaces.append(made)
        }
        return made
    }

    /// Starts `spec` with the given stdio (the caller keeps ownership of those fds). Returns once the
    /// command has been exec'd inside the sandbox, or throws naming the step that failed.
    ///
    /// `networkNamespace`, when given, is the sandbox's network namespace (see NetworkNamespace); the caller
    /// keeps it. Otherwise the sandbox gets a new one.
    public func launch(_ spec: SandboxSpec, stdio: SandboxStdio, networkNamespace: NetworkNamespace? = nil) throws(SandboxError) -> SandboxProcess {
        let started = MonotonicClock.now()
        do {
            try spec.validate()
        } catch {
            throw .invalidSpec(error)
        }
        let plan = try mountPlan(for: spec, now: started)
        var points: [SpawnTrace.Point] = []
        if configuration.traceSpawn { points.append(.init(phase: .planned, nanoseconds: MonotonicClock.now())) }
        let filter: SandboxFilter?
        do {
            filter = try spec.seccomp.map { try self.filter(for: $0) }
        } catch {
            throw .invalidSpec(.invalid("seccomp", "\(error)"))
        }
        if configuration.traceSpawn { points.append(.init(phase: .filterReady, nanoseconds: MonotonicClock.now())) }
        let cgroup: Cgroup
        do {
            cgroup = try makeCgroup(CgroupLimits(memoryBytes: spec.limits.memoryBytes, cpuQuota: spec.limits.cpus,
                                                 pidsMax: spec.limits.pids), in: spec.group)
        } catch {
            throw .host(error)
        }
        if configuration.traceSpawn { points.append(.init(phase: .cgroupReady, nanoseconds: MonotonicClock.now())) }
        defer {
            networkNamespaces?.replenish()
            ipcNamespaces?.replenish()
            cgroups?.replenish()
        }
        do {
            return try ChildLaunch(launcher: self, spec: spec, plan: plan, filter: filter, cgroup: cgroup,
                                   stdio: stdio, started: started, preparePoints: points, networkNamespace: networkNamespace).run()
        } catch {
            try? cgroup.killAll()
            try? cgroup.remove()
            throw error
        }
    }
}

/// A profile's compiled filter, and its split (outer for the cloning thread, inner for the sandbox) when
/// it has one.
struct SandboxFilter: Sendable {
    let full: SeccompProgram
    let split: SeccompSplit?
}

/// A cgroup made ahead by the pool, and the limits it was given.
struct PooledCgroup: Sendable {
    let cgroup: Cgroup
    let limits: CgroupLimits
}

/// A value shared between threads behind a lock.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// The fds the command gets as 0, 1 and 2, then `extra` as 3, 4, ... The caller owns and closes them.
public struct SandboxStdio: Sendable {
    public var stdin: Int32
    public var stdout: Int32
    public var stderr: Int32
    public var extra: [Int32]

    public init(stdin: Int32, stdout: Int32, stderr: Int32, extra: [Int32] = []) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.extra = extra
    }
}
