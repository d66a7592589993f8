import Foundation
import Glibc
import Testing

/// What a sandbox may not leave on the host: child groups under Corral's `corral` parent group, processes
/// whose argv carries one of this test run's markers, or a changed number of host mounts.
enum Residue {
    /// Host mounts before the first privileged test ran.
    static let baselineMountCount = mountCount()

    /// Host mounts, leaving out those under /var/tmp/corral-*: the server tests (another suite, running
    /// meanwhile) mount tmpfs roots there for their tenants and remove them themselves.
    static func mountCount() -> Int {
        ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { line in
                let fields = line.split(separator: " ")
                return !(fields.count > 4 && fields[4].hasPrefix("/var/tmp/corral-"))
            }.count
    }

    /// The `corral` parent's directories: one on pure cgroup v2, one per controller hierarchy on v1.
    static var parentDirectories: [String] {
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            return ["/sys/fs/cgroup/corral"]
        }
        return ["memory", "pids", "cpu", "cpuacct", "freezer"].map { "/sys/fs/cgroup/\($0)/corral" }
    }

    /// Every child group of the `corral` parent, as full paths.
    static func leftoverGroups() -> [String] {
        parentDirectories.flatMap { parent -> [String] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            return names.map { parent + "/" + $0 }.filter(isDirectory)
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// pid -> argv (NULs as spaces) of every process whose argv contains `marker`.
    static func processes(containing marker: String) -> [Int32: String] {
        var found: [Int32: String] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != getpid() else { continue }
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { continue }
            let argv = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            if argv.contains(marker) { found[pid] = argv }
        }
        return found
    }

    /// Polls `condition` every 20 ms for up to `seconds`; true once it holds.
    static func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if condition() { return true }
            if Date() >= deadline { return false }
            usleep(20_000)
        }
    }

    /// Records an issue for anything left behind (after a grace period for dying processes).
    static func expectClean(sourceLocation: SourceLocation = #_sourceLocation) {
        let clean = eventually(within: 3) {
            leftoverGroups().isEmpty && processes(containing: Marker.runPrefix).isEmpty && mountCount() == baselineMountCount
        }
        if clean { return }
        let groups = leftoverGroups()
        let procs = processes(containing: Marker.runPrefix)
        let mounts = mountCount()
        if !groups.isEmpty { Issue.record("cgroups left under the corral parent: \(groups)", sourceLocation: sourceLocation) }
        if !procs.isEmpty { Issue.record("marker processes left: \(procs)", sourceLocation: sourceLocation) }
        if mounts != baselineMountCount {
            Issue.record("host mount count changed: \(baselineMountCount) -> \(mounts)", sourceLocation: sourceLocation)
        }
    }
}

/// Unique strings to put in a sandboxed command's argv, so the host can find (or miss) its processes.
enum Marker {
    static let runPrefix = "corral-privtest-\(getpid())-"
    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    static func make(_ tag: String) -> String {
        lock.lock()
        defer { lock.unlock() }
        counter += 1
        return "\(runPrefix)\(tag)-\(counter)"
    }
}
