#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// A sandbox's group on cgroup v1: `hierarchy/parent/name` in each hierarchy Corral uses. Comounted
/// controllers (cpu,cpuacct) share one directory.
struct CgroupV1: CgroupBackend {
    let kernel: any CgroupKernel
    /// Controller name to the group's directory in that controller's hierarchy.
    let paths: [String: String]
    let directories: [String]

    var unifiedPath: String? { nil }

    /// Creates `parent` and `parent/name` in every hierarchy (once per distinct hierarchy). On failure
    /// removes the directories it created.
    static func create(host: CgroupHost, parent: String, name: String, kernel: any CgroupKernel,
                       transaction: inout DirectoryTransaction) throws(SystemError) -> CgroupV1 {
        try makeGroup(host: host, path: parent + "/" + name, kernel: kernel, transaction: &transaction, new: true)
    }

    /// The group `path` ("a" or "a/b") in every hierarchy, each component made where missing (the last
    /// one made new when `new`, failing with EEXIST otherwise): a sandbox's group, or an aggregate group
    /// whose limits cap every group beneath it.
    static func makeGroup(host: CgroupHost, path: String, kernel: any CgroupKernel,
                          transaction: inout DirectoryTransaction, new: Bool = false) throws(SystemError) -> CgroupV1 {
        var paths: [String: String] = [:]
        var directories: [String] = []
        let components = path.split(separator: "/")
        for (hierarchy, controllers) in distinctHierarchies(host: host) {
            var directory = hierarchy
            for (index, component) in components.enumerated() {
                directory += "/" + component
                try transaction.makeDirectory(directory, existOK: !(new && index == components.count - 1))
            }
            for controller in controllers { paths[controller] = directory }
            directories.append(directory)
        }
        return CgroupV1(kernel: kernel, paths: paths, directories: directories)
    }

    /// The group `parent/name` as it exists now: only the hierarchies that have its directory (a supervisor
    /// killed mid-create may have made some and not others). nil when none has it.
    static func existing(host: CgroupHost, parent: String, name: String, kernel: any CgroupKernel) -> CgroupV1? {
        var paths: [String: String] = [:]
        var directories: [String] = []
        for (hierarchy, controllers) in distinctHierarchies(host: host) {
            let path = hierarchy + "/" + parent + "/" + name
            guard kernel.isDirectory(path) else { continue }
            for controller in controllers { paths[controller] = path }
            directories.append(path)
        }
        return directories.isEmpty ? nil : CgroupV1(kernel: kernel, paths: paths, directories: directories)
    }

    /// The names of the child groups of `parent`, over every hierarchy Corral uses, sorted.
    static func children(host: CgroupHost, parent: String, kernel: any CgroupKernel) -> [String] {
        var names: Set<String> = []
        for (hierarchy, _) in distinctHierarchies(host: host) {
            names.formUnion(kernel.subdirectories(hierarchy + "/" + parent))
        }
        return names.sorted()
    }

    /// The hierarchies Corral uses, once each, in creation order, with the controllers each one serves
    /// (comounted cpu,cpuacct serves two).
    static func distinctHierarchies(host: CgroupHost) -> [(hierarchy: String, controllers: [String])] {
        var result: [(hierarchy: String, controllers: [String])] = []
        var indexByCanonical: [String: Int] = [:]
        for controller in CgroupHost.v1Controllers {
            guard let hierarchy = host.hierarchies[controller] else { continue }
            let canonical = canonicalPath(hierarchy)
            if let index = indexByCanonical[canonical] {
                result[index].controllers.append(controller)
            } else {
                indexByCanonical[canonical] = result.count
                result.append((hierarchy, [controller]))
            }
        }
        return result
    }

    /// Resolves symlinks so "cpu" and "cpuacct" pointing at "cpu,cpuacct" count once.
    static func canonicalPath(_ path: String) -> String {
        FileSystem.realPath(path) ?? path
    }

    private func file(_ controller: String, _ name: String) -> String? {
        paths[controller].map { $0 + "/" + name }
    }

    private func require(_ controller: String, for limit: String) throws(SystemError) -> String {
        guard let path = paths[controller] else {
            throw SystemError(stage: "\(limit): no v1 \(controller) hierarchy mounted", errno: ENODEV)
        }
        return path
    }

    func applyLimits(_ limits: CgroupLimits) throws(SystemError) {
        if let memory = paths["memory"] {
            if let bytes = limits.memoryBytes {
                // memsw must stay >= the memory limit: lowering, set the memory limit first; raising (the
                // kernel refuses a memory limit above memsw with EINVAL), memsw first.
                let limitFile = memory + "/memory.limit_in_bytes", swapFile = memory + "/memory.memsw.limit_in_bytes"
                do {
                    try kernel.write(String(bytes), to: limitFile)
                } catch where error.errno == EINVAL {
                    try kernel.writeIfPresent(String(bytes), to: swapFile)
                    try kernel.write(String(bytes), to: limitFile)
                }
                try kernel.writeIfPresent(String(bytes), to: swapFile)
            }
            try kernel.writeIfPresent("0", to: memory + "/memory.swappiness")
        } else if limits.memoryBytes != nil {
            _ = try require("memory", for: "memory limit")
        }
        if let cpus = limits.cpuQuota {
            let cpu = try require("cpu", for: "cpu quota")
            guard let quota = CgroupFormat.cpuQuotaMicroseconds(cpus: cpus) else {
                throw SystemError(stage: "cpu quota \(cpus) for \(cpu)/cpu.cfs_quota_us", errno: EINVAL)
            }
            try kernel.write(String(CgroupFormat.cpuPeriodMicroseconds), to: cpu + "/cpu.cfs_period_us")
            try kernel.write(String(quota), to: cpu + "/cpu.cfs_quota_us")
        }
        if let pids = limits.pidsMax {
            let group = try require("pids", for: "pids limit")
            guard pids >= 0 else { throw SystemError(stage: "pids.max \(pids) for \(group)", errno: EINVAL) }
            try kernel.write(String(pids), to: group + "/pids.max")
        }
    }

    func attach(pid: Int32) throws(SystemError) {
        for directory in directories {
            try kernel.write(String(pid), to: directory + "/cgroup.procs")
        }
    }

    func peakMemoryBytes() -> UInt64? {
        file("memory", "memory.max_usage_in_bytes").flatMap(kernel.readIfPresent).flatMap(CgroupFormat.number)
    }

    func stats() -> CgroupStats {
        let oomControl = file("memory", "memory.oom_control").flatMap(kernel.readIfPresent).map(CgroupFormat.keyValues)
        let pidsEvents = file("pids", "pids.events").flatMap(kernel.readIfPresent).map(CgroupFormat.keyValues)
        return CgroupStats(
            peakMemoryBytes: peakMemoryBytes(),
            cpuTimeNanoseconds: file("cpuacct", "cpuacct.usage").flatMap(kernel.readIfPresent).flatMap(CgroupFormat.number),
            oomKills: oomControl?["oom_kill"] ?? 0,
            pidsMaxEvents: pidsEvents.map { $0["max"] ?? 0 })
    }

    /// The union of every hierarchy's `cgroup.procs`, the pids and freezer hierarchies' first. Once attach has
    /// run they all hold the same processes, but a supervisor killed mid-attach leaves a process in only
    /// some of them, and a reaper must still find it.
    func processIDs() -> [Int32] {
        var seen: Set<Int32> = []
        var result: [Int32] = []
        let ordered = ["pids", "freezer"].compactMap { paths[$0] } + directories
        var read: Set<String> = []
        for directory in ordered where read.insert(directory).inserted {
            for pid in kernel.readIfPresent(directory + "/cgroup.procs").map(CgroupFormat.pids) ?? []
            where seen.insert(pid).inserted {
                result.append(pid)
            }
        }
        return result
    }

    /// Freeze (and wait for FROZEN, so nothing forks while we enumerate), SIGKILL and SIGCONT every
    /// process, thaw so the frozen tasks can act on the signal. Without a freezer, just the signals.
    func killRound() throws(SystemError) {
        let stateFile = file("freezer", "freezer.state")
        if let stateFile {
            try kernel.write("FROZEN", to: stateFile)
            for _ in 0..<CgroupTiming.freezeRounds {
                if kernel.readIfPresent(stateFile)?.trimmingWhitespace() == "FROZEN" { break }
                kernel.pause(milliseconds: CgroupTiming.pollMilliseconds)
            }
        }
        for pid in processIDs() {
            kernel.signal(pid, SIGKILL)
            kernel.signal(pid, SIGCONT)
        }
        if let stateFile { try kernel.write("THAWED", to: stateFile) }
    }
}
