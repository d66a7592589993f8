#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// A sandbox's group on the unified (v2) hierarchy: one directory, `root/parent/name`.
struct CgroupV2: CgroupBackend {
    let kernel: any CgroupKernel
    let path: String

    var directories: [String] { [path] }
    var unifiedPath: String? { path }

    /// Creates `root/parent` (enabling memory, pids and cpu for its children where not yet enabled) and
    /// `root/parent/name`. On failure removes the directories it created.
    static func create(host: CgroupHost, parent: String, name: String, kernel: any CgroupKernel,
                       transaction: inout DirectoryTransaction) throws(SystemError) -> CgroupV2 {
        let parentPath = try makeParent(host: host, parent: parent, kernel: kernel, transaction: &transaction)
        let path = parentPath + "/" + name
        try transaction.makeDirectory(path, existOK: false)
        return CgroupV2(kernel: kernel, path: path)
    }

    /// Creates each group of `parent` ("a/b": a, then a/b) where missing, enabling memory, pids and cpu for
    /// the children of the root and of each; returns the last one's directory.
    static func makeParent(host: CgroupHost, parent: String, kernel: any CgroupKernel,
                           transaction: inout DirectoryTransaction) throws(SystemError) -> String {
        let wanted = CgroupHost.v2Controllers.filter(host.supports)
        try enableControllers(wanted, in: host.root, kernel: kernel)
        var path = host.root
        for component in parent.split(separator: "/") {
            path += "/" + component
            try transaction.makeDirectory(path, existOK: true)
            try enableControllers(wanted, in: path, kernel: kernel)
        }
        return path
    }

    /// The group `root/parent/name` when its directory exists.
    static func existing(host: CgroupHost, parent: String, name: String, kernel: any CgroupKernel) -> CgroupV2? {
        let path = host.root + "/" + parent + "/" + name
        return kernel.isDirectory(path) ? CgroupV2(kernel: kernel, path: path) : nil
    }

    /// Writes "+controller" to `group/cgroup.subtree_control` for each controller not already listed there,
    /// one write per controller so an error names the controller that was refused.
    static func enableControllers(_ controllers: [String], in group: String, kernel: any CgroupKernel) throws(SystemError) {
        let file = group + "/cgroup.subtree_control"
        let enabled = CgroupFormat.names(try kernel.read(file))
        for controller in controllers where !enabled.contains(controller) {
            do {
                try kernel.write("+" + controller, to: file)
            } catch {
                throw SystemError(stage: error.stage + " (+\(controller))", errno: error.errno)
            }
        }
    }

    func applyLimits(_ limits: CgroupLimits) throws(SystemError) {
        if let bytes = limits.memoryBytes {
            try kernel.write(String(bytes), to: path + "/memory.max")
        }
        // Swap is always off; the file is missing when the kernel has no swap accounting.
        try kernel.writeIfPresent("0", to: path + "/memory.swap.max")
        if let cpus = limits.cpuQuota {
            guard let line = CgroupFormat.cpuMaxLine(cpus: cpus) else {
                throw SystemError(stage: "cpu quota \(cpus) for \(path)/cpu.max", errno: EINVAL)
            }
            try kernel.write(line, to: path + "/cpu.max")
        }
        if let pids = limits.pidsMax {
            guard pids >= 0 else { throw SystemError(stage: "pids.max \(pids) for \(path)", errno: EINVAL) }
            try kernel.write(String(pids), to: path + "/pids.max")
        }
    }

    func attach(pid: Int32) throws(SystemError) {
        try kernel.write(String(pid), to: path + "/cgroup.procs")
    }

    func peakMemoryBytes() -> UInt64? {
        kernel.readIfPresent(path + "/memory.peak").flatMap(CgroupFormat.number)
    }

    func stats() -> CgroupStats {
        let memoryEvents = kernel.readIfPresent(path + "/memory.events").map(CgroupFormat.keyValues) ?? [:]
        let cpuStat = kernel.readIfPresent(path + "/cpu.stat").map(CgroupFormat.keyValues) ?? [:]
        let pidsEvents = kernel.readIfPresent(path + "/pids.events").map(CgroupFormat.keyValues)
        return CgroupStats(
            peakMemoryBytes: peakMemoryBytes(),
            cpuTimeNanoseconds: cpuStat["usage_usec"].map { $0 &* 1000 },
            oomKills: memoryEvents["oom_kill"] ?? 0,
            pidsMaxEvents: pidsEvents.map { $0["max"] ?? 0 })
    }

    func processIDs() -> [Int32] {
        kernel.readIfPresent(path + "/cgroup.procs").map(CgroupFormat.pids) ?? []
    }

    /// With `cgroup.kill` (5.14+) one write kills everything, concurrent forks included. Without it:
    /// freeze, SIGKILL and SIGCONT each process, thaw.
    func killRound() throws(SystemError) {
        let killFile = path + "/cgroup.kill"
        if kernel.exists(killFile) {
            try kernel.write("1", to: killFile)
            return
        }
        let freezeFile = path + "/cgroup.freeze"
        let canFreeze = kernel.exists(freezeFile)
        if canFreeze {
            try kernel.write("1", to: freezeFile)
            for _ in 0..<CgroupTiming.freezeRounds {
                let events = kernel.readIfPresent(path + "/cgroup.events").map(CgroupFormat.keyValues) ?? [:]
                if events["frozen"] == 1 || events["populated"] == 0 { break }
                kernel.pause(milliseconds: CgroupTiming.pollMilliseconds)
            }
        }
        for pid in processIDs() {
            kernel.signal(pid, SIGKILL)
            kernel.signal(pid, SIGCONT)
        }
        if canFreeze { try kernel.write("0", to: freezeFile) }
    }
}
