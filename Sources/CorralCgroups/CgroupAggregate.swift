#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Groups above the sandboxes' own: Corral's parent and one per tenant beneath it. Their memory and pids
/// limits cap the sum of everything below, so many sandboxes together (or one tenant's) cannot take
/// what the host and the other tenants need, whatever each sandbox's own limits add up to.
extension Cgroup {
    /// Creates the group `path` ("corral", "corral/t-111122223333") and its ancestors where missing, then
    /// writes `limits` to it. The group is left in place: sandboxes come and go beneath it.
    public static func limitGroup(host: CgroupHost, path: String, limits: CgroupLimits) throws(SystemError) {
        try limitGroup(host: host, path: path, limits: limits, kernel: LinuxCgroupKernel())
    }

    /// `limitGroup` with the kernel as a seam, for unit tests over fake trees.
    static func limitGroup(host: CgroupHost, path: String, limits: CgroupLimits, kernel: any CgroupKernel) throws(SystemError) {
        guard CgroupFormat.isValidParent(path) else {
            throw SystemError(stage: "cgroup group \"\(path)\" (must be names joined by '/')", errno: EINVAL)
        }
        try checkControllers(host: host, limits: limits)
        var transaction = DirectoryTransaction(kernel: kernel)
        let backend: any CgroupBackend
        switch host.version {
        case .v1: backend = try CgroupV1.makeGroup(host: host, path: path, kernel: kernel, transaction: &transaction)
        case .v2: backend = CgroupV2(kernel: kernel, path: try CgroupV2.makeParent(host: host, parent: path, kernel: kernel, transaction: &transaction))
        }
        try backend.applyLimits(limits)
    }

    /// Removes the group `path` when nothing is beneath it any more (a tenant's group after its last
    /// sandbox); a group still in use stays. Never throws: an emptied group left behind costs nothing.
    public static func removeIfEmpty(host: CgroupHost, path: String) {
        guard CgroupFormat.isValidParent(path) else { return }
        let kernel = LinuxCgroupKernel()
        switch host.version {
        case .v1:
            for (hierarchy, _) in CgroupV1.distinctHierarchies(host: host) { try? kernel.removeDirectory(hierarchy + "/" + path) }
        case .v2:
            try? kernel.removeDirectory(host.root + "/" + path)
        }
    }
}
