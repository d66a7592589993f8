import CorralSystem
import Foundation
import Glibc
import Testing
@testable import CorralCgroups

/// children, existing and reapStale over fake trees: groups left behind by a supervisor killed with SIGKILL.
@Suite struct CgroupReapTests {
    static let v2Layout = FakeTree.Layout.v2(controllers: ["memory", "pids", "cpu"], rootEnabled: [], cgroupKill: true)
    let limits = CgroupLimits(memoryBytes: 32 << 20, pidsMax: 64)

    func makeTree(_ layout: FakeTree.Layout) throws -> (FakeTree, FakeCgroupKernel, CgroupHost) {
        let tree = try FakeTree(layout)
        return (tree, FakeCgroupKernel(tree: tree), try CgroupHost.detect(root: tree.root))
    }

    /// What a supervisor killed between the memory and cpu mkdirs leaves: the group in "memory" only.
    func makePartialV1Group(_ tree: FakeTree, kernel: FakeCgroupKernel, name: String, in hierarchies: [String]) throws {
        for hierarchy in hierarchies {
            try? kernel.makeDirectory(tree.root + "/" + hierarchy + "/corral")
            try kernel.makeDirectory(tree.root + "/" + hierarchy + "/corral/" + name)
        }
    }

    @Test func childrenOnV1IsTheUnionOverHierarchies() throws {
        let (tree, kernel, host) = try makeTree(.v1(memsw: true))
        #expect(Cgroup.children(host: host, kernel: kernel).isEmpty)  // no parent yet
        _ = try Cgroup.create(host: host, name: "sbx-1-0", limits: limits, kernel: kernel)
        try makePartialV1Group(tree, kernel: kernel, name: "sbx-1-1", in: ["memory"])
        try makePartialV1Group(tree, kernel: kernel, name: "sbx-1-2", in: ["freezer", "pids"])
        // Not a hierarchy Corral uses: ignored.
        try makePartialV1Group(tree, kernel: kernel, name: "sbx-1-3", in: ["blkio"])
        #expect(Cgroup.children(host: host, kernel: kernel) == ["sbx-1-0", "sbx-1-1", "sbx-1-2"])
        #expect(Cgroup.children(host: host, parent: "other", kernel: kernel).isEmpty)
    }

    @Test(arguments: [false, true])
    func childrenOnComountedV1CountsEachGroupOnce(symlinks: Bool) throws {
        let (_, kernel, host) = try makeTree(.v1Comounted(symlinks: symlinks))
        _ = try Cgroup.create(host: host, name: "b", limits: limits, kernel: kernel)
        _ = try Cgroup.create(host: host, name: "a", limits: limits, kernel: kernel)
        #expect(Cgroup.children(host: host, kernel: kernel) == ["a", "b"])
    }

    @Test func childrenOnV2ListsDirectoriesNotInterfaceFiles() throws {
        let (_, kernel, host) = try makeTree(Self.v2Layout)
        #expect(Cgroup.children(host: host, kernel: kernel).isEmpty)
        _ = try Cgroup.create(host: host, name: "sbx-9-1", limits: limits, kernel: kernel)
        _ = try Cgroup.create(host: host, name: "sbx-9-0", limits: limits, kernel: kernel)
        #expect(Cgroup.children(host: host, kernel: kernel) == ["sbx-9-0", "sbx-9-1"])
    }

    @Test func existingOnV1CoversOnlyTheHierarchiesThatHaveTheGroup() throws {
        let (tree, kernel, host) = try makeTree(.v1(memsw: true))
        try makePartialV1Group(tree, kernel: kernel, name: "half", in: ["memory", "cpu", "pids"])
        let group = try Cgroup.existing(host: host, name: "half", kernel: kernel)
        #expect(group.backend.directories == ["memory", "cpu", "pids"].map { tree.root + "/" + $0 + "/corral/half" })
        #expect(group.unifiedPath == nil)
        // A process attached to memory only (killed mid-attach) is still found and killed.
        try kernel.write("55", to: tree.root + "/memory/corral/half/cgroup.procs")
        #expect(group.processIDs() == [55])
        try group.killAll()
        #expect(kernel.signals.contains { $0.pid == 55 && $0.signal == SIGKILL })
        try group.remove()
        #expect(!tree.exists("memory/corral/half"))
        #expect(!tree.exists("cpu/corral/half"))
        #expect(!tree.exists("pids/corral/half"))
        #expect(tree.exists("memory/corral"))
    }

    @Test func existingOnV2() throws {
        let (tree, kernel, host) = try makeTree(Self.v2Layout)
        _ = try Cgroup.create(host: host, name: "sbx-3-0", limits: limits, kernel: kernel)
        let group = try Cgroup.existing(host: host, name: "sbx-3-0", kernel: kernel)
        #expect(group.unifiedPath == tree.root + "/corral/sbx-3-0")
        tree.put("oom 1\noom_kill 2\n", at: tree.root + "/corral/sbx-3-0/memory.events")
        #expect(group.stats().oomKills == 2)
    }

    @Test(arguments: [FakeTree.Layout.v1(memsw: true), v2Layout])
    func existingThrowsENOENTForAMissingGroup(layout: FakeTree.Layout) throws {
        let (_, kernel, host) = try makeTree(layout)
        #expect(throws: SystemError.self) { try Cgroup.existing(host: host, name: "nope", kernel: kernel) }
        _ = try Cgroup.create(host: host, name: "there", limits: limits, kernel: kernel)
        // "cgroup.procs" is a file in the parent, not a group.
        for name in ["nope", "cgroup.procs"] {
            do {
                _ = try Cgroup.existing(host: host, name: name, kernel: kernel)
                Issue.record("existing(\(name)) succeeded")
            } catch {
                #expect(error.errno == ENOENT, "\(name)")
            }
        }
        do {
            _ = try Cgroup.existing(host: host, parent: "absent", name: "there", kernel: kernel)
            Issue.record("existing under a missing parent succeeded")
        } catch {
            #expect(error.errno == ENOENT)
        }
    }

    @Test(arguments: ["", ".", "..", "a/b", "../corral"])
    func existingRefusesBadNames(name: String) throws {
        let (_, kernel, host) = try makeTree(Self.v2Layout)
        for (parent, child) in [("corral", name)] + (name == "a/b" ? [] : [(name, "sbx")]) {
            do {
                _ = try Cgroup.existing(host: host, parent: parent, name: child, kernel: kernel)
                Issue.record("existing(\(parent)/\(child)) succeeded")
            } catch {
                #expect(error.errno == EINVAL)
            }
        }
    }

    @Test func reapStaleOnV1RemovesOnlyTheSelectedGroupsAndKillsTheirProcesses() throws {
        let (tree, kernel, host) = try makeTree(.v1(memsw: true))
        let dead = try Cgroup.create(host: host, name: "sbx-100-0", limits: limits, kernel: kernel)
        try dead.attach(pid: 501)
        try dead.attach(pid: 502)
        try makePartialV1Group(tree, kernel: kernel, name: "sbx-100-1", in: ["memory", "cpu"])
        let alive = try Cgroup.create(host: host, name: "sbx-200-0", limits: limits, kernel: kernel)
        try alive.attach(pid: 601)

        let removed = Cgroup.reapStale(host: host, kernel: kernel) { $0.hasPrefix("sbx-100-") }
        #expect(removed.removed == ["sbx-100-0", "sbx-100-1"])
        #expect(removed.failures.isEmpty)
        #expect(Set(kernel.signals.filter { $0.signal == SIGKILL }.map(\.pid)) == [501, 502])
        #expect(kernel.writes(under: "freezer/corral/sbx-100-0/freezer.state").map(\.value) == ["FROZEN", "THAWED"])
        for hierarchy in ["memory", "cpu", "cpuacct", "pids", "freezer"] {
            #expect(!tree.exists("\(hierarchy)/corral/sbx-100-0"), "\(hierarchy)")
            #expect(!tree.exists("\(hierarchy)/corral/sbx-100-1"), "\(hierarchy)")
            #expect(tree.exists("\(hierarchy)/corral/sbx-200-0"), "\(hierarchy)")
        }
        #expect(alive.processIDs() == [601])
        #expect(Cgroup.children(host: host, kernel: kernel) == ["sbx-200-0"])
    }

    @Test func reapStaleOnV2UsesCgroupKill() throws {
        let (tree, kernel, host) = try makeTree(Self.v2Layout)
        let dead = try Cgroup.create(host: host, name: "sbx-7-0", limits: limits, kernel: kernel)
        try dead.attach(pid: 701)
        _ = try Cgroup.create(host: host, name: "sbx-8-0", limits: limits, kernel: kernel)
        let removed = Cgroup.reapStale(host: host, kernel: kernel) { $0 == "sbx-7-0" }
        #expect(removed.removed == ["sbx-7-0"])
        #expect(kernel.writes(under: "corral/sbx-7-0").contains(FakeCgroupKernel.Write(path: "corral/sbx-7-0/cgroup.kill", value: "1")))
        #expect(!tree.exists("corral/sbx-7-0"))
        #expect(tree.exists("corral/sbx-8-0"))
        #expect(tree.exists("corral"))
    }

    @Test func reapStaleGoesOnPastAGroupItCannotKill() throws {
        let (tree, kernel, host) = try makeTree(.v1(memsw: true))
        let stuck = try Cgroup.create(host: host, name: "sbx-1-0", limits: limits, kernel: kernel)
        try stuck.attach(pid: 801)
        let plain = try Cgroup.create(host: host, name: "sbx-1-1", limits: limits, kernel: kernel)
        try plain.attach(pid: 802)
        kernel.unkillable = [801]
        let result = Cgroup.reapStale(host: host, kernel: kernel) { _ in true }
        #expect(result.removed == ["sbx-1-1"])
        #expect(result.failures.map(\.name) == ["sbx-1-0"])
        #expect(result.failures.first?.error.errno == EBUSY)
        #expect(tree.exists("memory/corral/sbx-1-0"))
        #expect(!tree.exists("memory/corral/sbx-1-1"))
        #expect(kernel.signals.contains { $0.pid == 802 && $0.signal == SIGKILL })
    }

    @Test func reapStaleWithNoParentRemovesNothing() throws {
        let (_, kernel, host) = try makeTree(Self.v2Layout)
        var asked: [String] = []
        let result = Cgroup.reapStale(host: host, kernel: kernel) { asked.append($0); return true }
        #expect(result.removed.isEmpty)
        #expect(asked.isEmpty)
    }
}
