import Foundation
@testable import CorralCgroups

/// A fake cgroup mount in a temporary directory, laid out like the kernel's: v2 (one tree) or v1 (one
/// hierarchy per controller, or cpu,cpuacct comounted). `groupFiles` lists what the kernel would create in
/// a new group, so the fake kernel can populate directories on mkdir.
final class FakeTree: @unchecked Sendable {
    enum Layout {
        case v2(controllers: [String], rootEnabled: [String], cgroupKill: Bool)
        /// Separate hierarchies per controller; `memsw` adds the swap-accounting files.
        case v1(memsw: Bool)
        /// cpu and cpuacct comounted at "cpu,cpuacct"; `symlinks` adds "cpu" and "cpuacct" links to it.
        case v1Comounted(symlinks: Bool)
    }

    let root: String
    let layout: Layout

    init(_ layout: Layout) throws {
        self.layout = layout
        root = FileManager.default.temporaryDirectory.path + "/corral-cgroup-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        switch layout {
        case let .v2(controllers, rootEnabled, _):
            put(controllers.joined(separator: " ") + "\n", at: root + "/cgroup.controllers")
            put(rootEnabled.joined(separator: " ") + (rootEnabled.isEmpty ? "" : "\n"), at: root + "/cgroup.subtree_control")
            put("1\n", at: root + "/cgroup.procs")
            put("usage_usec 1\n", at: root + "/cpu.stat")
        case .v1:
            for hierarchy in ["memory", "cpu", "cpuacct", "pids", "freezer", "blkio"] { try makeHierarchy(hierarchy) }
            try FileManager.default.createDirectory(atPath: root + "/unified", withIntermediateDirectories: true)
            put("\n", at: root + "/unified/cgroup.controllers")
        case let .v1Comounted(symlinks):
            for hierarchy in ["memory", "cpu,cpuacct", "pids", "freezer"] { try makeHierarchy(hierarchy) }
            if symlinks {
                try FileManager.default.createSymbolicLink(atPath: root + "/cpu", withDestinationPath: "cpu,cpuacct")
                try FileManager.default.createSymbolicLink(atPath: root + "/cpuacct", withDestinationPath: "cpu,cpuacct")
            }
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func makeHierarchy(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
        put("1\n", at: root + "/" + name + "/cgroup.procs")
    }

    /// Writes `contents` to `path`, replacing what was there.
    func put(_ contents: String, at path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))
    }

    /// The contents of `relative` (to the root), or nil when missing.
    func contents(_ relative: String) -> String? {
        FileManager.default.contents(atPath: root + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: root + "/" + relative)
    }

    /// Every file called `name` anywhere in the tree.
    func files(named name: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var result: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if (relative as NSString).lastPathComponent == name { result.append(root + "/" + relative) }
        }
        return result
    }

    /// The interface files a kernel creates in a new group at `path`, with their initial contents.
    func groupFiles(forNewDirectory path: String) -> [String: String] {
        var files = ["cgroup.procs": ""]
        switch layout {
        case let .v2(controllers, _, cgroupKill):
            files["cgroup.controllers"] = controllers.joined(separator: " ") + "\n"
            files["cgroup.subtree_control"] = ""
            files["cgroup.freeze"] = "0\n"
            files["cgroup.events"] = "populated 0\nfrozen 0\n"
            if cgroupKill { files["cgroup.kill"] = "" }
            files["memory.max"] = "max\n"
            files["memory.swap.max"] = "max\n"
            files["memory.peak"] = "0\n"
            files["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"
            files["cpu.max"] = "max 100000\n"
            files["cpu.stat"] = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"
            files["pids.max"] = "max\n"
            files["pids.events"] = "max 0\n"
        case .v1, .v1Comounted:
            let relative = String(path.dropFirst(root.count + 1))
            let first = relative.split(separator: "/").first.map(String.init) ?? ""
            // "cpu" may be a symlink to "cpu,cpuacct": the kernel populates per hierarchy, not per name.
            let hierarchy = (try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + first)) ?? first
            var memsw = true
            if case let .v1(value) = layout { memsw = value }
            for controller in hierarchy.split(separator: ",") {
                switch controller {
                case "memory":
                    files["memory.limit_in_bytes"] = "9223372036854771712\n"
                    files["memory.swappiness"] = "60\n"
                    files["memory.max_usage_in_bytes"] = "0\n"
                    files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"
                    if memsw { files["memory.memsw.limit_in_bytes"] = "9223372036854771712\n" }
                case "cpu":
                    files["cpu.cfs_quota_us"] = "-1\n"
                    files["cpu.cfs_period_us"] = "100000\n"
                case "cpuacct":
                    files["cpuacct.usage"] = "0\n"
                case "pids":
                    files["pids.max"] = "max\n"
                    files["pids.events"] = "max 0\n"
                case "freezer":
                    files["freezer.state"] = "THAWED\n"
                default:
                    break
                }
            }
        }
        return files
    }
}
