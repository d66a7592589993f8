import CorralSystem
#if canImport(Glibc)
import Glibc
#endif

/// Moving the calling thread alone between v1 groups, so a child it clones is born in a sandbox's group.
///
/// cgroup v1 has no CLONE_INTO_CGROUP. Moving a new process into its group (`cgroup.procs`) takes the
/// global thread-group lock, whose write side waits for an RCU grace period: milliseconds, sometimes
/// many (p90 7.8 ms measured here). Writing "0" to a group's `tasks` file moves only the calling thread
/// and skips that lock (kernel/cgroup/cgroup.c, cgroup_procs_write_start), so the spawn thread steps into
/// the sandbox's groups, clones, and steps back.
public enum CgroupThread {
    /// The calling thread's group directory in each hierarchy Corral uses (v1), to return to later.
    public static func currentDirectories(host: CgroupHost) throws(SystemError) -> [String] {
        let text = try FileSystem.read("/proc/thread-self/cgroup")
        var result: [String] = []
        for (hierarchy, controllers) in CgroupV1.distinctHierarchies(host: host) {
            guard let line = text.split(separator: "\n").first(where: { line in
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                return fields.count == 3 && fields[1].split(separator: ",").contains { controllers.contains(String($0)) }
            }) else {
                throw SystemError(stage: "find \(controllers.joined(separator: ",")) in /proc/thread-self/cgroup", errno: ENOENT)
            }
            let path = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)[2]
            result.append(path == "/" ? hierarchy : hierarchy + path)
        }
        return result
    }

    /// Moves the calling thread (only it) into each of `directories` by writing "0" to their `tasks` files.
    public static func move(to directories: [String]) throws(SystemError) {
        for directory in directories {
            try FileSystem.write("0", to: directory + "/tasks")
        }
    }
}

extension Cgroup {
    /// v1: the group's directory in each hierarchy, for `CgroupThread.move(to:)`; empty on v2.
    public var threadDirectories: [String] {
        host.version == .v1 ? backend.directories : []
    }
}
