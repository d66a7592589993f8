#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Finding and removing groups left behind: a supervisor killed with SIGKILL never removes its sandboxes'
/// groups ("sbx-<supervisorPid>-<n>" under the parent), so the next supervisor reaps them.
extension Cgroup {
    /// Names of the child groups under `parent` (v1: the union over the hierarchies Corral uses; v2: the one
    /// directory), sorted. Empty when the parent does not exist.
    public static func children(host: CgroupHost, parent: String = "corral") -> [String] {
        children(host: host, parent: parent, kernel: LinuxCgroupKernel())
    }

    /// `children` with the kernel as a seam, for unit tests over fake trees.
    static func children(host: CgroupHost, parent: String = "corral", kernel: any CgroupKernel) -> [String] {
        guard CgroupFormat.isValidParent(parent) else { return [] }
        switch host.version {
        case .v1: return CgroupV1.children(host: host, parent: parent, kernel: kernel)
        case .v2: return kernel.subdirectories(host.root + "/" + parent)
        }
    }

    /// A handle on an existing child group (created earlier, maybe by a dead process), to stats(), killAll()
    /// and remove() it. Throws ENOENT when no hierarchy has it; EINVAL for a bad name. On v1 a group may
    /// exist only in some hierarchies (a crash mid-create): the handle covers the ones that exist.
    public static func existing(host: CgroupHost, parent: String = "corral", name: String) throws(SystemError) -> Cgroup {
        try existing(host: host, parent: parent, name: name, kernel: LinuxCgroupKernel())
    }

    /// `existing` with the kernel as a seam, for unit tests over fake trees.
    static func existing(host: CgroupHost, parent: String = "corral", name: String,
                         kernel: any CgroupKernel) throws(SystemError) -> Cgroup {
        guard CgroupFormat.isValidParent(parent), CgroupFormat.isValidName(name) else {
            throw SystemError(stage: "cgroup \"\(parent)/\(name)\" (a parent of names joined by '/', a name of one component)", errno: EINVAL)
        }
        let backend: (any CgroupBackend)?
        switch host.version {
        case .v1: backend = CgroupV1.existing(host: host, parent: parent, name: name, kernel: kernel)
        case .v2: backend = CgroupV2.existing(host: host, parent: parent, name: name, kernel: kernel)
        }
        guard let backend else {
            throw SystemError(stage: "cgroup \(parent)/\(name) under \(host.root) (no such group)", errno: ENOENT)
        }
        return Cgroup(host: host, parent: parent, name: name, backend: backend, kernel: kernel)
    }

    /// Kills and removes every child group under `parent` for which `isStale(name)` is true; returns the
    /// names removed. Errors on one group do not stop the others: a group whose processes survive killAll
    /// or whose directories stay busy is left in place and reported by the seam's variant. A group that
    /// vanished meanwhile (another reaper) is skipped. The killed processes were the dead supervisor's
    /// children, now reparented to init or a subreaper, which reaps them.
    @discardableResult
    public static func reapStale(host: CgroupHost, parent: String = "corral", isStale: (String) -> Bool) -> [String] {
        reapStale(host: host, parent: parent, kernel: LinuxCgroupKernel(), isStale: isStale).removed
    }

    /// `reapStale` with the kernel as a seam; also returns the error for each group it could not remove.
    static func reapStale(host: CgroupHost, parent: String = "corral", kernel: any CgroupKernel,
                          isStale: (String) -> Bool) -> (removed: [String], failures: [(name: String, error: SystemError)]) {
        var removed: [String] = []
        var failures: [(name: String, error: SystemError)] = []
        for name in children(host: host, parent: parent, kernel: kernel) where isStale(name) {
            do {
                let group = try existing(host: host, parent: parent, name: name, kernel: kernel)
                try group.killAll()
                try group.remove()
                removed.append(name)
            } catch {
                if error.errno == ENOENT && (try? existing(host: host, parent: parent, name: name, kernel: kernel)) == nil {
                    continue
                }
                failures.append((name, error))
            }
        }
        return (removed, failures)
    }
}
