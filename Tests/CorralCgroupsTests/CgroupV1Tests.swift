import CorralSystem
import Glibc
import Testing
@testable import CorralCgroups

@Suite struct CgroupV1Tests {
    typealias Write = FakeCgroupKernel.Write

    func makeTree(_ layout: FakeTree.Layout = .v1(memsw: true)) throws -> (FakeTree, FakeCgroupKernel, CgroupHost) {
        let tree = try FakeTree(layout)
        return (tree, FakeCgroupKernel(tree: tree), try CgroupHost.detect(root: tree.root))
    }

    let limits = CgroupLimits(memoryBytes: 32 << 20, cpuQuota: 0.5, pidsMax: 64)

    @Test func createMakesAGroupPerHierarchyAndWritesLimits() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, parent: "corral", name: "sbx", limits: limits, kernel: kernel)
        for hierarchy in ["memory", "cpu", "cpuacct", "pids", "freezer"] {
            #expect(tree.exists("\(hierarchy)/corral/sbx"), "\(hierarchy)")
        }
        #expect(!tree.exists("blkio/corral"))
        #expect(!tree.exists("unified/corral"))
        #expect(kernel.writes(under: "") == [
            Write(path: "memory/corral/sbx/memory.limit_in_bytes", value: "33554432"),
            Write(path: "memory/corral/sbx/memory.memsw.limit_in_bytes", value: "33554432"),
            Write(path: "memory/corral/sbx/memory.swappiness", value: "0"),
            Write(path: "cpu/corral/sbx/cpu.cfs_period_us", value: "100000"),
            Write(path: "cpu/corral/sbx/cpu.cfs_quota_us", value: "50000"),
            Write(path: "pids/corral/sbx/pids.max", value: "64"),
        ])
        #expect(group.unifiedPath == nil)
    }

    @Test func withoutSwapAccountingOnlyTheMemoryLimit() throws {
        let (_, kernel, host) = try makeTree(.v1(memsw: false))
        _ = try Cgroup.create(host: host, name: "sbx", limits: CgroupLimits(memoryBytes: 1 << 20), kernel: kernel)
        #expect(kernel.writes(under: "memory") == [
            Write(path: "memory/corral/sbx/memory.limit_in_bytes", value: "1048576"),
            Write(path: "memory/corral/sbx/memory.swappiness", value: "0"),
        ])
    }

    @Test(arguments: [false, true])
    func comountedCPUGetsOneDirectory(symlinks: Bool) throws {
        let (tree, kernel, host) = try makeTree(.v1Comounted(symlinks: symlinks))
        let group = try Cgroup.create(host: host, name: "sbx", limits: limits, kernel: kernel)
        let cpuWrites = kernel.writes.filter { $0.path.hasSuffix("cpu.cfs_quota_us") }
        #expect(cpuWrites.count == 1)
        #expect(tree.exists("cpu,cpuacct/corral/sbx/cpuacct.usage"))
        try group.attach(pid: 77)
        // memory, cpu(,cpuacct), pids, freezer: four hierarchies, four writes.
        #expect(kernel.writes.filter { $0.path.hasSuffix("cgroup.procs") }.count == 4)
        tree.put("123456789\n", at: tree.root + "/cpu,cpuacct/corral/sbx/cpuacct.usage")
        #expect(group.stats().cpuTimeNanoseconds == 123_456_789)
        kernel.signal(77, SIGKILL)
        try group.remove()
        #expect(!tree.exists("cpu,cpuacct/corral/sbx"))
        #expect(!tree.exists("memory/corral/sbx"))
    }

    @Test func failureRemovesEveryDirectoryItCreated() throws {
        let (tree, kernel, host) = try makeTree()
        kernel.failingWrites["cpu.cfs_quota_us"] = EINVAL
        do {
            _ = try Cgroup.create(host: host, name: "sbx", limits: limits, kernel: kernel)
            Issue.record("create succeeded")
        } catch {
            #expect(error.stage.contains("cpu/corral/sbx/cpu.cfs_quota_us"))
        }
        for hierarchy in ["memory", "cpu", "cpuacct", "pids", "freezer"] {
            #expect(!tree.exists("\(hierarchy)/corral"), "\(hierarchy)")
        }
    }

    @Test func attachWritesEveryHierarchy() throws {
        let (_, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "a", limits: limits, kernel: kernel)
        try group.attach(pid: 4321)
        #expect(kernel.writes.filter { $0.path.hasSuffix("cgroup.procs") }.map { $0.path.dropFirst(kernel.tree.root.count + 1) }
            == ["memory/corral/a/cgroup.procs", "cpu/corral/a/cgroup.procs", "cpuacct/corral/a/cgroup.procs",
                "pids/corral/a/cgroup.procs", "freezer/corral/a/cgroup.procs"])
        #expect(group.processIDs() == [4321])
    }

    @Test func statsFromKernelFiles() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "s", limits: limits, kernel: kernel)
        tree.put("41943040\n", at: tree.root + "/memory/corral/s/memory.max_usage_in_bytes")
        tree.put("oom_kill_disable 0\nunder_oom 1\noom_kill 3\n", at: tree.root + "/memory/corral/s/memory.oom_control")
        tree.put("987654321\n", at: tree.root + "/cpuacct/corral/s/cpuacct.usage")
        tree.put("max 9\n", at: tree.root + "/pids/corral/s/pids.events")
        #expect(group.stats() == CgroupStats(peakMemoryBytes: 41_943_040, cpuTimeNanoseconds: 987_654_321, oomKills: 3,
                                             pidsMaxEvents: 9))
    }

    @Test func killAllFreezesSignalsAndThaws() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "k", limits: limits, kernel: kernel)
        try group.attach(pid: 21)
        try group.attach(pid: 22)
        let before = kernel.writes.count
        try group.killAll()
        #expect(Array(kernel.writes(under: "")[before...]) == [
            Write(path: "freezer/corral/k/freezer.state", value: "FROZEN"),
            Write(path: "freezer/corral/k/freezer.state", value: "THAWED"),
        ])
        #expect(kernel.signals.map { [$0.pid, $0.signal] } == [[21, SIGKILL], [21, SIGCONT], [22, SIGKILL], [22, SIGCONT]])
        #expect(tree.contents("freezer/corral/k/freezer.state") == "THAWED\n")
        try group.remove()
        #expect(!tree.exists("freezer/corral/k"))
        #expect(tree.exists("freezer/corral"))
    }

    @Test func killAllWaitsForFROZEN() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "k", limits: limits, kernel: kernel)
        try group.attach(pid: 31)
        // The fake kernel never reaches FROZEN: killAll polls a bounded number of times, then kills anyway.
        final class StuckFreezer: CgroupKernel, @unchecked Sendable {
            let inner: FakeCgroupKernel
            init(_ inner: FakeCgroupKernel) { self.inner = inner }
            func read(_ path: String) throws(SystemError) -> String {
                path.hasSuffix("freezer.state") ? "FREEZING\n" : try inner.read(path)
            }
            func write(_ value: String, to path: String) throws(SystemError) { try inner.write(value, to: path) }
            func exists(_ path: String) -> Bool { inner.exists(path) }
            func isDirectory(_ path: String) -> Bool { inner.isDirectory(path) }
            func list(_ path: String) throws(SystemError) -> [String] { try inner.list(path) }
            func makeDirectory(_ path: String) throws(SystemError) { try inner.makeDirectory(path) }
            func removeDirectory(_ path: String) throws(SystemError) { try inner.removeDirectory(path) }
            func signal(_ pid: Int32, _ signal: Int32) { inner.signal(pid, signal) }
            func pause(milliseconds: Int) { inner.pause(milliseconds: milliseconds) }
        }
        let stuck = Cgroup(host: host, parent: "corral", name: "k", backend: CgroupV1(
            kernel: StuckFreezer(kernel), paths: (group.backend as! CgroupV1).paths,
            directories: group.backend.directories), kernel: StuckFreezer(kernel))
        try stuck.killAll()
        // freezeRounds polls of freezer.state, then one poll of cgroup.procs after the signals.
        #expect(kernel.pauses == CgroupTiming.freezeRounds + 1)
        #expect(kernel.signals.contains { $0.pid == 31 && $0.signal == SIGKILL })
        #expect(tree.contents("freezer/corral/k/freezer.state") == "THAWED\n")
    }
}
