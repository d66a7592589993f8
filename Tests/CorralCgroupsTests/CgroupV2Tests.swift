import CorralSystem
import Glibc
import Testing
@testable import CorralCgroups

@Suite struct CgroupV2Tests {
    typealias Write = FakeCgroupKernel.Write
    static let allControllers = ["cpuset", "cpu", "io", "memory", "pids"]

    func makeTree(rootEnabled: [String] = ["memory"], cgroupKill: Bool = true,
                  controllers: [String] = allControllers) throws -> (FakeTree, FakeCgroupKernel, CgroupHost) {
        let tree = try FakeTree(.v2(controllers: controllers, rootEnabled: rootEnabled, cgroupKill: cgroupKill))
        return (tree, FakeCgroupKernel(tree: tree), try CgroupHost.detect(root: tree.root))
    }

    let limits = CgroupLimits(memoryBytes: 32 << 20, cpuQuota: 0.5, pidsMax: 64)

    @Test func createEnablesControllersAndWritesLimits() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, parent: "corral", name: "sbx1", limits: limits, kernel: kernel)
        #expect(kernel.writes(under: "") == [
            Write(path: "cgroup.subtree_control", value: "+pids"),  // memory was already enabled at the root
            Write(path: "cgroup.subtree_control", value: "+cpu"),
            Write(path: "corral/cgroup.subtree_control", value: "+memory"),
            Write(path: "corral/cgroup.subtree_control", value: "+pids"),
            Write(path: "corral/cgroup.subtree_control", value: "+cpu"),
            Write(path: "corral/sbx1/memory.max", value: "33554432"),
            Write(path: "corral/sbx1/memory.swap.max", value: "0"),
            Write(path: "corral/sbx1/cpu.max", value: "50000 100000"),
            Write(path: "corral/sbx1/pids.max", value: "64"),
        ])
        #expect(group.unifiedPath == tree.root + "/corral/sbx1")
        #expect(tree.contents("cgroup.subtree_control") == "memory pids cpu\n")
        #expect(tree.contents("corral/sbx1/cpu.max") == "50000 100000\n")
        #expect(group.name == "sbx1")
        #expect(group.host.version == .v2)
    }

    @Test func secondGroupOnlyWritesItsLimits() throws {
        let (_, kernel, host) = try makeTree()
        _ = try Cgroup.create(host: host, name: "a", limits: CgroupLimits(), kernel: kernel)
        let before = kernel.writes.count
        _ = try Cgroup.create(host: host, name: "b", limits: CgroupLimits(pidsMax: 5), kernel: kernel)
        #expect(Array(kernel.writes(under: "")[before...]) == [
            Write(path: "corral/b/memory.swap.max", value: "0"),
            Write(path: "corral/b/pids.max", value: "5"),
        ])
    }

    @Test func noLimitsStillDisablesSwapOnly() throws {
        let (_, kernel, host) = try makeTree(rootEnabled: ["memory", "pids", "cpu"])
        _ = try Cgroup.create(host: host, name: "free", limits: CgroupLimits(), kernel: kernel)
        #expect(kernel.writes(under: "corral/free") == [Write(path: "corral/free/memory.swap.max", value: "0")])
    }

    @Test func failureNamesTheFileAndRemovesWhatItCreated() throws {
        let (tree, kernel, host) = try makeTree()
        kernel.failingWrites["pids.max"] = EACCES
        do {
            _ = try Cgroup.create(host: host, name: "sbx", limits: limits, kernel: kernel)
            Issue.record("create succeeded")
        } catch {
            #expect(error.errno == EACCES)
            #expect(error.stage.contains("corral/sbx/pids.max"))
        }
        #expect(!tree.exists("corral/sbx"))
        #expect(!tree.exists("corral"))  // this call created the parent, so it removed it too
    }

    @Test func failureKeepsAParentItDidNotCreate() throws {
        let (tree, kernel, host) = try makeTree()
        _ = try Cgroup.create(host: host, name: "first", limits: CgroupLimits(), kernel: kernel)
        kernel.failingWrites["memory.max"] = EINVAL
        #expect(throws: SystemError.self) {
            try Cgroup.create(host: host, name: "second", limits: limits, kernel: kernel)
        }
        #expect(!tree.exists("corral/second"))
        #expect(tree.exists("corral/first"))
    }

    @Test func subtreeControlRefusalNamesTheController() throws {
        let (tree, kernel, host) = try makeTree(rootEnabled: [])
        kernel.failingWrites["cgroup.subtree_control"] = EBUSY
        do {
            _ = try Cgroup.create(host: host, name: "sbx", limits: limits, kernel: kernel)
            Issue.record("create succeeded")
        } catch {
            #expect(error.stage.hasSuffix("cgroup.subtree_control (+memory)"))
            #expect(error.errno == EBUSY)
        }
        #expect(!tree.exists("corral"))
    }

    @Test func existingGroupIsNotTouched() throws {
        let (tree, kernel, host) = try makeTree()
        _ = try Cgroup.create(host: host, name: "taken", limits: CgroupLimits(), kernel: kernel)
        tree.put("4242\n", at: tree.root + "/corral/taken/cgroup.procs")
        do {
            _ = try Cgroup.create(host: host, name: "taken", limits: limits, kernel: kernel)
            Issue.record("create succeeded")
        } catch {
            #expect(error.errno == EEXIST)
        }
        #expect(tree.contents("corral/taken/cgroup.procs") == "4242\n")
        #expect(tree.contents("corral/taken/memory.max") == "max\n")
    }

    @Test(arguments: ["", ".", "..", "../escape", "a/b"])
    func badNamesAreRefusedBeforeAnyWrite(name: String) throws {
        let (tree, kernel, host) = try makeTree()
        #expect(throws: SystemError(stage: "cgroup name \"\(name)\" (must be one path component)", errno: EINVAL)) {
            try Cgroup.create(host: host, name: name, limits: limits, kernel: kernel)
        }
        // "a/b" is a nested parent (a tenant's group under Corral's); the others are no parent at all.
        if name != "a/b" {
            #expect(throws: SystemError.self) { try Cgroup.create(host: host, parent: name, name: "x", limits: limits, kernel: kernel) }
        }
        #expect(kernel.writes.isEmpty)
        #expect(!tree.exists("corral"))
    }

    @Test("a nested parent is made level by level, controllers enabled at each; its limits are its own")
    func nestedParent() throws {
        let (tree, kernel, host) = try makeTree()
        try Cgroup.limitGroup(host: host, path: "corral/t-111122223333", limits: CgroupLimits(memoryBytes: 1 << 30, pidsMax: 1536), kernel: kernel)
        let group = try Cgroup.create(host: host, parent: "corral/t-111122223333", name: "sbx", limits: limits, kernel: kernel)
        #expect(group.unifiedPath?.hasSuffix("/corral/t-111122223333/sbx") == true)
        for level in ["corral", "corral/t-111122223333"] {
            #expect(tree.contents(level + "/cgroup.subtree_control") == "memory pids cpu\n", "\(level)")
        }
        #expect(tree.contents("corral/t-111122223333/pids.max") == "1536\n")
        #expect(tree.contents("corral/t-111122223333/memory.max") == "\(1 << 30)\n")
        #expect(tree.contents("corral/t-111122223333/sbx/pids.max") == "64\n")
        #expect(throws: SystemError.self) { try Cgroup.limitGroup(host: host, path: "corral/../x", limits: CgroupLimits(pidsMax: 1), kernel: kernel) }
    }

    @Test(arguments: [0.0, -1, .nan, .infinity])
    func badCPUQuotaIsRefused(cpus: Double) throws {
        let (tree, kernel, host) = try makeTree()
        #expect(throws: SystemError.self) {
            try Cgroup.create(host: host, name: "cpu", limits: CgroupLimits(cpuQuota: cpus), kernel: kernel)
        }
        #expect(!tree.exists("corral"))
    }

    @Test func negativePidsMaxIsRefused() throws {
        let (_, kernel, host) = try makeTree()
        #expect(throws: SystemError.self) {
            try Cgroup.create(host: host, name: "p", limits: CgroupLimits(pidsMax: -1), kernel: kernel)
        }
    }

    @Test func missingControllerIsAnErrorBeforeMkdir() throws {
        let (tree, kernel, host) = try makeTree(rootEnabled: [], controllers: ["cpu", "memory"])
        do {
            _ = try Cgroup.create(host: host, name: "sbx", limits: CgroupLimits(pidsMax: 10), kernel: kernel)
            Issue.record("create succeeded")
        } catch {
            #expect(error.errno == ENODEV)
            #expect(error.stage.contains("pids"))
        }
        #expect(!tree.exists("corral"))
        // Without a pids limit the group is created, enabling only what exists.
        _ = try Cgroup.create(host: host, name: "sbx", limits: CgroupLimits(memoryBytes: 1 << 20), kernel: kernel)
        #expect(tree.contents("corral/cgroup.subtree_control") == "memory cpu\n")
    }

    @Test func statsFromKernelFiles() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "s", limits: limits, kernel: kernel)
        #expect(group.stats() == CgroupStats(peakMemoryBytes: 0, cpuTimeNanoseconds: 0, oomKills: 0, pidsMaxEvents: 0))
        let dir = tree.root + "/corral/s"
        tree.put("31457280\n", at: dir + "/memory.peak")
        tree.put("usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_throttled 3\n", at: dir + "/cpu.stat")
        tree.put("low 0\nhigh 0\nmax 40\noom 2\noom_kill 2\noom_group_kill 0\n", at: dir + "/memory.events")
        tree.put("max 7\n", at: dir + "/pids.events")
        #expect(group.stats() == CgroupStats(peakMemoryBytes: 31_457_280, cpuTimeNanoseconds: 2_500_000, oomKills: 2,
                                             pidsMaxEvents: 7))
        // Before 5.19 there is no memory.peak; without the pids controller no pids.events.
        for name in ["memory.peak", "pids.events", "memory.events", "cpu.stat"] { unlink(dir + "/" + name) }
        #expect(group.stats() == CgroupStats(peakMemoryBytes: nil, cpuTimeNanoseconds: nil, oomKills: 0, pidsMaxEvents: nil))
    }

    @Test func attachAndProcessIDs() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "a", limits: limits, kernel: kernel)
        try group.attach(pid: 101)
        try group.attach(pid: 202)
        #expect(kernel.writes(under: "corral/a/cgroup.procs").map(\.value) == ["101", "202"])
        #expect(group.processIDs() == [101, 202])
        #expect(throws: SystemError.self) { try group.remove() }  // populated: EBUSY, retried, then reported
        #expect(tree.exists("corral/a"))
        #expect(group.processIDs() == [101, 202])
    }

    @Test func killAllUsesCgroupKill() throws {
        let (_, kernel, host) = try makeTree(cgroupKill: true)
        let group = try Cgroup.create(host: host, name: "k", limits: limits, kernel: kernel)
        try group.attach(pid: 11)
        try group.attach(pid: 12)
        try group.killAll()
        #expect(group.processIDs().isEmpty)
        #expect(kernel.writes(under: "corral/k/cgroup.kill").map(\.value) == ["1"])
        #expect(kernel.signals.isEmpty)
    }

    @Test func killAllWithoutCgroupKillFreezesSignalsAndThaws() throws {
        let (_, kernel, host) = try makeTree(cgroupKill: false)
        let group = try Cgroup.create(host: host, name: "k", limits: limits, kernel: kernel)
        try group.attach(pid: 11)
        try group.attach(pid: 12)
        let before = kernel.writes.count
        try group.killAll()
        #expect(group.processIDs().isEmpty)
        let writes = Array(kernel.writes(under: "")[before...])
        #expect(writes.first == Write(path: "corral/k/cgroup.freeze", value: "1"))
        #expect(writes.last == Write(path: "corral/k/cgroup.freeze", value: "0"))
        #expect(kernel.signals.map { [$0.pid, $0.signal] } == [[11, SIGKILL], [11, SIGCONT], [12, SIGKILL], [12, SIGCONT]])
    }

    @Test func killAllGivesUpWithEBUSY() throws {
        let (_, kernel, host) = try makeTree(cgroupKill: false)
        let group = try Cgroup.create(host: host, name: "k", limits: limits, kernel: kernel)
        try group.attach(pid: 13)
        kernel.unkillable = [13]
        do {
            try group.killAll()
            Issue.record("killAll succeeded")
        } catch {
            #expect(error.errno == EBUSY)
        }
        #expect(kernel.signals.filter { $0.signal == SIGKILL }.count == CgroupTiming.killRounds / 10)
        #expect(kernel.pauses >= CgroupTiming.killRounds)
    }

    @Test func killAllOnAnEmptyGroupWritesNothing() throws {
        let (_, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "e", limits: CgroupLimits(), kernel: kernel)
        let before = kernel.writes.count
        try group.killAll()
        #expect(kernel.writes.count == before)
    }

    @Test func removeRetriesWhileBusyAndIsIdempotent() throws {
        let (tree, kernel, host) = try makeTree()
        let group = try Cgroup.create(host: host, name: "r", limits: limits, kernel: kernel)
        kernel.busyRemovals = 3
        try group.remove()
        #expect(!tree.exists("corral/r"))
        #expect(tree.exists("corral"))  // the shared parent stays
        #expect(kernel.pauses == 3)
        try group.remove()
    }
}
