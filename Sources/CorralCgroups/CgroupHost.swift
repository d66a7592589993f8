#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// The host's cgroup layout, detected once at startup and shared by every sandbox.
public struct CgroupHost: Sendable {
    public let version: CgroupVersion
    /// Where cgroups are mounted: "/sys/fs/cgroup" normally; tests pass a fake tree.
    public let root: String
    /// Controllers available. v2: `cgroup.controllers` at the root. v1: the mounted hierarchies Corral uses,
    /// out of memory, cpu, cpuacct, pids and freezer.
    public let controllers: [String]
    /// v1 only: controller name to its hierarchy's root directory ("cpu" -> "/sys/fs/cgroup/cpu,cpuacct").
    let hierarchies: [String: String]

    /// The v1 controllers Corral uses, in the order their directories are created.
    static let v1Controllers = ["memory", "cpu", "cpuacct", "pids", "freezer"]
    /// The v2 controllers Corral enables for its groups.
    static let v2Controllers = ["memory", "pids", "cpu"]

    init(version: CgroupVersion, root: String, controllers: [String], hierarchies: [String: String] = [:]) {
        self.version = version
        self.root = root
        self.controllers = controllers
        self.hierarchies = hierarchies
    }

    /// Detects the layout under `root`.
    ///
    /// v2 when `root` is a cgroup2 mount (per /proc/self/mountinfo, the same fact as statfs magic 0x63677270), or (for fake trees) when `root/cgroup.controllers` exists and
    /// `root/memory` does not. v1 when `root/memory` is a directory; hybrid hosts, whose controller-less
    /// cgroup2 sits at `root/unified`, are v1. Throws ENOENT when neither layout is found.
    public static func detect(root: String = "/sys/fs/cgroup") throws(SystemError) -> CgroupHost {
        let mountinfo = (try? FileSystem.read("/proc/self/mountinfo")) ?? ""
        let isCgroup2Mount = CgroupFormat.filesystemType(mountinfo: mountinfo, mountPoint: canonicalRoot(root)) == "cgroup2"
        let memoryPath = root + "/memory"
        if isCgroup2Mount || (FileSystem.exists(root + "/cgroup.controllers") && !FileSystem.exists(memoryPath)) {
            let text = try FileSystem.read(root + "/cgroup.controllers")
            return CgroupHost(version: .v2, root: root, controllers: CgroupFormat.names(text))
        }
        if FileSystem.isDirectory(memoryPath) {
            let hierarchies = v1Hierarchies(root: root, entries: (try? FileSystem.list(root)) ?? [])
            let controllers = v1Controllers.filter { hierarchies[$0] != nil }
            return CgroupHost(version: .v1, root: root, controllers: controllers, hierarchies: hierarchies)
        }
        throw SystemError(stage: "detect cgroups at \(root) (neither cgroup2 nor v1 memory hierarchy)", errno: ENOENT)
    }

    /// `root` with symlinks resolved, as mountinfo lists mount points.
    static func canonicalRoot(_ root: String) -> String {
        FileSystem.realPath(root) ?? root
    }

    /// Maps each v1 controller Corral uses to a hierarchy directory under `root`. A directory named after
    /// the controller wins ("cpu", often a symlink to "cpu,cpuacct"); otherwise a comounted directory whose
    /// comma-separated name lists it.
    static func v1Hierarchies(root: String, entries: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for entry in entries.sorted() where FileSystem.isDirectory(root + "/" + entry) {
            for controller in entry.split(separator: ",").map(String.init) where v1Controllers.contains(controller) {
                if entry == controller || result[controller] == nil { result[controller] = root + "/" + entry }
            }
        }
        return result
    }

    /// Whether `cgroup.kill` (Linux 5.14+) can kill a whole group at once. v1: never. v2: when the file exists
    /// in the parent group (`parent`, default "corral"); before that group exists, in any child of the root
    /// (the root itself has no `cgroup.kill`).
    public func canKillDirectly(parent: String = "corral") -> Bool {
        guard version == .v2 else { return false }
        if FileSystem.isDirectory(root + "/" + parent) { return FileSystem.exists(root + "/" + parent + "/cgroup.kill") }
        let children = ((try? FileSystem.list(root)) ?? []).filter { FileSystem.isDirectory(root + "/" + $0) }
        return children.contains { FileSystem.exists(root + "/" + $0 + "/cgroup.kill") }
    }

    /// Whether a limit can be enforced with the controllers present.
    func supports(_ controller: String) -> Bool {
        controllers.contains(controller)
    }
}
