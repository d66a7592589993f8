import CorralSystem
import Glibc
import Testing
@testable import CorralCgroups

@Suite struct CgroupHostTests {
    @Test func detectsFakeV2() throws {
        let tree = try FakeTree(.v2(controllers: ["cpuset", "cpu", "io", "memory", "pids"], rootEnabled: [], cgroupKill: true))
        let host = try CgroupHost.detect(root: tree.root)
        #expect(host.version == .v2)
        #expect(host.root == tree.root)
        #expect(host.controllers == ["cpuset", "cpu", "io", "memory", "pids"])
    }

    @Test func detectsFakeHybridAsV1() throws {
        let tree = try FakeTree(.v1(memsw: true))
        let host = try CgroupHost.detect(root: tree.root)
        #expect(host.version == .v1)
        #expect(host.controllers == ["memory", "cpu", "cpuacct", "pids", "freezer"])
        #expect(host.hierarchies["cpu"] == tree.root + "/cpu")
        #expect(host.hierarchies["cpuacct"] == tree.root + "/cpuacct")
        #expect(host.hierarchies["blkio"] == nil)
        #expect(!host.canKillDirectly())
    }

    @Test func detectsComountedCPU() throws {
        let plain = try FakeTree(.v1Comounted(symlinks: false))
        let host = try CgroupHost.detect(root: plain.root)
        #expect(host.controllers == ["memory", "cpu", "cpuacct", "pids", "freezer"])
        #expect(host.hierarchies["cpu"] == plain.root + "/cpu,cpuacct")
        #expect(host.hierarchies["cpuacct"] == plain.root + "/cpu,cpuacct")

        let linked = try FakeTree(.v1Comounted(symlinks: true))
        let linkedHost = try CgroupHost.detect(root: linked.root)
        // The controller's own name wins; the symlink resolves to the shared hierarchy.
        #expect(linkedHost.hierarchies["cpu"] == linked.root + "/cpu")
        #expect(linkedHost.hierarchies["cpuacct"] == linked.root + "/cpuacct")
    }

    @Test func rejectsAnEmptyDirectory() throws {
        let tree = try FakeTree(.v1(memsw: true))
        let empty = tree.root + "/blkio"
        #expect(throws: SystemError.self) { try CgroupHost.detect(root: empty) }
        do {
            _ = try CgroupHost.detect(root: tree.root + "/missing")
            Issue.record("detect succeeded on a missing root")
        } catch {
            #expect(error.errno == ENOENT)
        }
    }

    @Test func canKillDirectlyLooksForCgroupKill() throws {
        let withKill = try FakeTree(.v2(controllers: ["memory"], rootEnabled: [], cgroupKill: true))
        let host = try CgroupHost.detect(root: withKill.root)
        #expect(!host.canKillDirectly())  // no group below the root yet
        try FakeCgroupKernel(tree: withKill).makeDirectory(withKill.root + "/corral")
        #expect(host.canKillDirectly())
        #expect(host.canKillDirectly(parent: "elsewhere"))  // any child of the root tells

        let withoutKill = try FakeTree(.v2(controllers: ["memory"], rootEnabled: [], cgroupKill: false))
        try FakeCgroupKernel(tree: withoutKill).makeDirectory(withoutKill.root + "/corral")
        #expect(try !CgroupHost.detect(root: withoutKill.root).canKillDirectly())
    }
}
