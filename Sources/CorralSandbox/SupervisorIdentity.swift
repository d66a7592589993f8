import CorralCgroups
import CorralSystem
import Foundation

/// Which supervisor process made a sandbox's cgroup, so a later one can remove what a killed one left.
///
/// A sandbox's cgroup is named `sbx-<pid>-<start>-<n>`: the supervisor's pid, its start time in clock
/// ticks since boot (field 22 of /proc/PID/stat, so a recycled pid does not pass for the same process) and
/// a counter. A group whose supervisor is gone is an orphan: its processes are killed and it is removed.
struct SupervisorIdentity: Equatable {
    var pid: Int32
    var startTime: UInt64

    static let current = SupervisorIdentity(pid: getpid(), startTime: startTime(of: getpid()) ?? 0)

    func sandboxName(_ counter: Int) -> String { "sbx-\(pid)-\(startTime)-\(counter)" }

    /// The supervisor a sandbox name points at, or nil for a name Corral did not make.
    static func owner(ofSandbox name: String) -> SupervisorIdentity? {
        let parts = name.split(separator: "-")
        guard parts.count == 4, parts[0] == "sbx", let pid = Int32(parts[1]), let start = UInt64(parts[2]), Int(parts[3]) != nil else {
            return nil
        }
        return SupervisorIdentity(pid: pid, startTime: start)
    }

    /// Where this process's argv strings lie (fields 48 and 49 of /proc/self/stat), for the init to blank.
    static let argvArea: (start: UInt, length: Int)? = {
        guard let stat = try? FileSystem.read("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // field 3 is fields[0]; arg_start is field 48, arg_end field 49.
        guard fields.count > 47, let start = UInt(fields[45]), let end = UInt(fields[46]), end > start else { return nil }
        return (start, Int(end - start))
    }()

    /// True when the process that made the group is still running.
    static func isAlive(_ owner: SupervisorIdentity) -> Bool {
        startTime(of: owner.pid) == owner.startTime
    }

    /// Field 22 (starttime) of /proc/PID/stat, or nil when the process does not exist.
    static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? FileSystem.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name start at field 3 (state); starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Kills and removes every sandbox group under `parent` whose supervisor is gone.
    /// Kills and removes every sandbox group whose supervisor is gone: under `parent`, and under each
    /// tenant's group beneath it (SandboxGroup, "t-..."), which goes too once empty.
    static func reapOrphanedCgroups(host: CgroupHost, parent: String) {
        let isStale: (String) -> Bool = { name in
            guard let owner = owner(ofSandbox: name) else { return false }
            return !isAlive(owner)
        }
        Cgroup.reapStale(host: host, parent: parent, isStale: isStale)
        for group in Cgroup.children(host: host, parent: parent) where group.hasPrefix(SandboxGroup.tenantPrefix) {
            Cgroup.reapStale(host: host, parent: parent + "/" + group, isStale: isStale)
            Cgroup.removeIfEmpty(host: host, path: parent + "/" + group)
        }
    }
}
