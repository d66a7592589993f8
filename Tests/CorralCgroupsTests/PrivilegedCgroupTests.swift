import CorralSystem
import Foundation
import Glibc
import Testing
@testable import CorralCgroups

/// Real kernel behaviour: runs as root on this host's hierarchy (v1 or v2) and in the v2 VM. Every test
/// works under its own parent group "corral-test-<pid>-<tag>" and removes it whatever happens.
@Suite(.serialized, .enabled(if: Privileged.shouldRun, "needs root (CI=true runs it and fails without root)"))
struct PrivilegedCgroupTests {
    @Test func detectsThisHost() throws {
        let host = try Privileged.host()
        let mountinfo = try FileSystem.read("/proc/self/mountinfo")
        let type = CgroupFormat.filesystemType(mountinfo: mountinfo, mountPoint: "/sys/fs/cgroup")
        #expect(host.version == (type == "cgroup2" ? .v2 : .v1))
        #expect(host.root == "/sys/fs/cgroup")
        if host.version == .v1 { #expect(host.controllers == CgroupHost.v1Controllers) }
    }

    @Test func lifecycle() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("life")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        let group = try Cgroup.create(host: host, parent: parent, name: "sbx",
                                      limits: CgroupLimits(memoryBytes: 64 << 20, cpuQuota: 0.5, pidsMax: 32))
        try expectLimitFiles(group, host: host, parent: parent)

        let sleeper = try Child.spawn(["/bin/sleep", "30"])
        defer { sleeper.killAndReap() }
        try group.attach(pid: sleeper.pid)
        #expect(group.processIDs() == [sleeper.pid])
        let controllers = host.version == .v2 ? [""] : ["memory", "cpu", "cpuacct", "pids", "freezer"]
        for controller in controllers {
            #expect(Privileged.cgroupPath(of: sleeper.pid, controller: controller) == "/\(parent)/sbx", "\(controller)")
        }

        try group.killAll()
        #expect(group.processIDs().isEmpty)
        #expect(Child.terminatingSignal(sleeper.wait()) == SIGKILL)

        let stats = group.stats()
        #expect(stats.cpuTimeNanoseconds != nil)
        #expect(stats.oomKills == 0)
        #expect(stats.pidsMaxEvents == 0)
        let hasPeak = host.version == .v1 || FileSystem.exists(group.unifiedPath.map { $0 + "/memory.peak" } ?? "")
        #expect((stats.peakMemoryBytes != nil) == hasPeak)
        // Not > 0: sleep's pages stay charged to the group it was spawned in (charges do not move on attach).

        try group.remove()
        for directory in group.backend.directories { #expect(!FileSystem.exists(directory), "\(directory)") }
        try group.remove()  // idempotent
        #expect(group.backend.directories.count == (host.version == .v2 ? 1 : 5))
    }

    func expectLimitFiles(_ group: Cgroup, host: CgroupHost, parent: String) throws {
        func contents(_ path: String) -> String? { try? FileSystem.read(path).trimmingWhitespace() }
        switch host.version {
        case .v2:
            let directory = try #require(group.unifiedPath)
            #expect(directory == host.root + "/" + parent + "/sbx")
            #expect(contents(directory + "/memory.max") == "67108864")
            if FileSystem.exists(directory + "/memory.swap.max") { #expect(contents(directory + "/memory.swap.max") == "0") }
            #expect(contents(directory + "/cpu.max") == "50000 100000")
            #expect(contents(directory + "/pids.max") == "32")
            let enabled = CgroupFormat.names(contents(host.root + "/" + parent + "/cgroup.subtree_control") ?? "")
            #expect(Set(enabled).isSuperset(of: ["memory", "pids", "cpu"]))
        case .v1:
            #expect(group.unifiedPath == nil)
            func file(_ controller: String, _ name: String) -> String? {
                host.hierarchies[controller].flatMap { contents($0 + "/" + parent + "/sbx/" + name) }
            }
            #expect(file("memory", "memory.limit_in_bytes") == "67108864")
            if let memsw = file("memory", "memory.memsw.limit_in_bytes") { #expect(memsw == "67108864") }
            #expect(file("memory", "memory.swappiness") == "0")
            #expect(file("cpu", "cpu.cfs_quota_us") == "50000")
            #expect(file("cpu", "cpu.cfs_period_us") == "100000")
            #expect(file("pids", "pids.max") == "32")
        }
    }

    /// setLimits on a group that already has limits: raising the memory limit (v1 refuses a limit above
    /// memsw unless memsw moves first), then lowering it again, leaves exactly the new values.
    @Test func limitsCanBeRaisedAndLowered() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("relimit")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        let group = try Cgroup.create(host: host, parent: parent, name: "sbx", limits: CgroupLimits(memoryBytes: 16 << 20, pidsMax: 8))
        func memoryFiles() -> [String] {
            let names = host.version == .v2 ? ["memory.max"] : ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
            let directory = host.version == .v2 ? group.unifiedPath! : host.hierarchies["memory"]! + "/" + parent + "/sbx"
            return names.compactMap { try? FileSystem.read(directory + "/" + $0).trimmingWhitespace() }
        }
        #expect(memoryFiles().allSatisfy { $0 == "16777216" } && !memoryFiles().isEmpty)
        try group.setLimits(CgroupLimits(memoryBytes: 64 << 20, cpuQuota: 0.5, pidsMax: 32))
        try expectLimitFiles(group, host: host, parent: parent)
        try group.setLimits(CgroupLimits(memoryBytes: 8 << 20))
        #expect(memoryFiles().allSatisfy { $0 == "8388608" } && !memoryFiles().isEmpty)
        try group.remove()
    }

    /// A 32 MiB group: allocating 200 MiB is OOM-killed and counted. Oracle: the same program in an
    /// unlimited group succeeds, so the kill is the limit's doing.
    @Test func memoryLimitOOMKills() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("oom")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        let program = "exec /usr/bin/python3 -c 'b=bytearray(200<<20)'"

        let free = try Cgroup.create(host: host, parent: parent, name: "free", limits: CgroupLimits())
        let oracle = try Child.spawnStopped(shell: program)
        defer { oracle.killAndReap() }
        try free.attach(pid: oracle.pid)
        oracle.resume()
        #expect(Child.exitCode(oracle.wait()) == 0)
        #expect(free.stats().oomKills == 0)

        let limited = try Cgroup.create(host: host, parent: parent, name: "limited",
                                        limits: CgroupLimits(memoryBytes: 32 << 20))
        #expect(limited.stats().oomKills == 0)
        let hog = try Child.spawnStopped(shell: program)
        defer { hog.killAndReap() }
        try limited.attach(pid: hog.pid)
        hog.resume()
        #expect(Child.terminatingSignal(hog.wait()) == SIGKILL)
        #expect(limited.stats().oomKills >= 1)
        let peak = limited.stats().peakMemoryBytes
        if let peak { #expect(peak <= 32 << 20) }
        try limited.remove()
        try free.remove()
    }

    /// pids.max stops a fork loop at the limit and pids.events counts the refusals.
    @Test func pidsLimitStopsForks() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("pids")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        let group = try Cgroup.create(host: host, parent: parent, name: "bomb", limits: CgroupLimits(pidsMax: 6))
        let shell = try Child.spawnStopped(shell: "i=0; while [ $i -lt 30 ]; do /bin/sleep 30 & i=$((i+1)); done; wait")
        defer { shell.killAndReap() }
        try group.attach(pid: shell.pid)
        shell.resume()
        var events: UInt64 = 0
        for _ in 0..<500 {
            events = group.stats().pidsMaxEvents ?? 0
            if events > 0 { break }
            usleep(10_000)
        }
        #expect(events >= 1)
        #expect(group.processIDs().count <= 6)
        try group.killAll()
        #expect(group.processIDs().isEmpty)
        try group.remove()
    }

    /// A tenant's group (limitGroup) caps the sandbox groups made beneath it: the bomb's own pids.max is 100,
    /// its tenant's 6, and the tenant's is what holds. The oracle: the same bomb in a group of its own
    /// directly under the parent runs past 6.
    @Test func aggregateGroupCapsTheGroupsBeneath() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("aggregate")
        let tenant = parent + "/t-111122223333"
        defer { Privileged.cleanUp(host: host, parent: parent) }
        try Cgroup.limitGroup(host: host, path: tenant, limits: CgroupLimits(memoryBytes: 256 << 20, pidsMax: 6))
        func bomb(parent: String) throws -> Int {
            let group = try Cgroup.create(host: host, parent: parent, name: "bomb", limits: CgroupLimits(pidsMax: 100))
            let shell = try Child.spawnStopped(shell: "i=0; while [ $i -lt 30 ]; do /bin/sleep 30 & i=$((i+1)); done; wait")
            defer { shell.killAndReap() }
            try group.attach(pid: shell.pid)
            shell.resume()
            var count = 0
            for _ in 0..<300 {
                count = max(count, group.processIDs().count)
                if count >= 20 { break }
                usleep(10_000)
            }
            try group.killAll()
            try group.remove()
            return count
        }
        let capped = try bomb(parent: tenant)
        #expect(capped >= 2 && capped <= 6, "\(capped) tasks under a tenant capped at 6")
        Cgroup.removeIfEmpty(host: host, path: tenant)
        for directory in Privileged.parentDirectories(host: host, parent: parent) {
            #expect(!FileSystem.exists(directory + "/t-111122223333"), "\(directory)")
        }
        let free = try bomb(parent: parent)
        #expect(free >= 20, "\(free) tasks with only the bomb's own limit of 100")
    }

    /// A 0.2 CPU quota holds a busy loop to about 20% of wall time. Oracle: unlimited, it gets far more.
    @Test func cpuQuotaThrottles() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("cpu")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        func spin(in group: Cgroup) throws -> Double {
            let spinner = try Child.spawnStopped(shell: "while :; do :; done")
            defer { spinner.killAndReap() }
            try group.attach(pid: spinner.pid)
            let before = group.stats().cpuTimeNanoseconds ?? 0
            spinner.resume()
            usleep(1_500_000)
            try group.killAll()
            return Double((group.stats().cpuTimeNanoseconds ?? 0) - before) / 1e9
        }
        let limitedGroup = try Cgroup.create(host: host, parent: parent, name: "limited", limits: CgroupLimits(cpuQuota: 0.2))
        let freeGroup = try Cgroup.create(host: host, parent: parent, name: "free", limits: CgroupLimits())
        // The quota's ceiling holds whatever else runs, so every window is checked against it. The floors
        // (the spinner ran at all; unlimited, it gets far more than the quota) need CPU that other suites
        // running meanwhile can take: a window is measured again, up to four times, before they fail.
        var limited: [Double] = []
        var free: [Double] = []
        for _ in 0..<4 {
            limited.append(try spin(in: limitedGroup))
            free.append(try spin(in: freeGroup))
            if limited.last! > 0.05 && free.last! > 0.6 { break }
        }
        #expect(limited.allSatisfy { $0 <= 0.2 * 1.5 + 0.15 }, "limited used \(limited) s in 1.5 s windows")
        #expect(limited.contains { $0 > 0.05 }, "limited used \(limited) s")
        #expect(free.contains { $0 > 0.6 }, "unlimited used \(free) s")
    }

    /// killAll empties a tree that double-forks, ignores SIGTERM and has stopped members; with cgroup.kill
    /// and (hiding it) with the freeze-and-signal fallback.
    @Test(arguments: [false, true])
    func killAllEmptiesAHostileTree(withoutCgroupKill: Bool) throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("kill\(withoutCgroupKill ? 1 : 0)")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        let kernel: any CgroupKernel = withoutCgroupKill ? KernelWithoutCgroupKill() : LinuxCgroupKernel()
        let group = try Cgroup.create(host: host, parent: parent, name: "tree", limits: CgroupLimits(pidsMax: 64),
                                      kernel: kernel)
        let script = """
            trap '' TERM; (trap '' TERM; /bin/sleep 30 &) ; /bin/sleep 30 & (kill -STOP $(exec sh -c 'echo $PPID'); /bin/sleep 30) & wait
            """
        let shell = try Child.spawnStopped(shell: script)
        defer { shell.killAndReap() }
        try group.attach(pid: shell.pid)
        shell.resume()
        for _ in 0..<500 where group.processIDs().count < 4 { usleep(10_000) }
        #expect(group.processIDs().count >= 4)
        try group.killAll()
        #expect(group.processIDs().isEmpty)
        #expect(Child.terminatingSignal(shell.wait()) == SIGKILL)
        try group.remove()
        #expect(!FileSystem.exists(group.backend.directories[0]))
    }

    /// Creating an existing group fails with EEXIST and leaves the group as it was.
    @Test func existingGroupIsRefused() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("dup")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        let first = try Cgroup.create(host: host, parent: parent, name: "one", limits: CgroupLimits(pidsMax: 10))
        do {
            _ = try Cgroup.create(host: host, parent: parent, name: "one", limits: CgroupLimits(pidsMax: 99))
            Issue.record("second create succeeded")
        } catch {
            #expect(error.errno == EEXIST)
        }
        for directory in first.backend.directories { #expect(FileSystem.isDirectory(directory)) }
        try first.remove()
    }

    /// reapStale on the real hierarchy: of two groups left with a process each, only the one the predicate
    /// selects is killed and removed; the other and its process are untouched.
    @Test func reapStaleRemovesOnlyTheSelectedGroup() throws {
        let host = try Privileged.host()
        let parent = Privileged.parentName("reap")
        defer { Privileged.cleanUp(host: host, parent: parent) }
        let stale = try Cgroup.create(host: host, parent: parent, name: "sbx-999999-0", limits: CgroupLimits(pidsMax: 16))
        let live = try Cgroup.create(host: host, parent: parent, name: "sbx-\(getpid())-0", limits: CgroupLimits(pidsMax: 16))
        let staleChild = try Child.spawn(["/bin/sleep", "30"])
        defer { staleChild.killAndReap() }
        try stale.attach(pid: staleChild.pid)
        let liveChild = try Child.spawn(["/bin/sleep", "30"])
        defer { liveChild.killAndReap() }
        try live.attach(pid: liveChild.pid)
        #expect(Cgroup.children(host: host, parent: parent) == [stale.name, live.name].sorted())

        var asked: [String] = []
        let removed = Cgroup.reapStale(host: host, parent: parent) { name in
            asked.append(name)
            return name == stale.name
        }
        #expect(removed == [stale.name])
        #expect(asked.sorted() == [stale.name, live.name].sorted())
        #expect(Child.terminatingSignal(staleChild.wait()) == SIGKILL)
        for directory in stale.backend.directories { #expect(!FileSystem.exists(directory), "\(directory)") }
        do {
            _ = try Cgroup.existing(host: host, parent: parent, name: stale.name)
            Issue.record("existing found the reaped group")
        } catch {
            #expect(error.errno == ENOENT)
        }

        #expect(Cgroup.children(host: host, parent: parent) == [live.name])
        for directory in live.backend.directories { #expect(FileSystem.isDirectory(directory), "\(directory)") }
        #expect(kill(liveChild.pid, 0) == 0)
        let again = try Cgroup.existing(host: host, parent: parent, name: live.name)
        #expect(again.processIDs() == [liveChild.pid])
        #expect(again.backend.directories == live.backend.directories)
        try again.killAll()
        #expect(Child.terminatingSignal(liveChild.wait()) == SIGKILL)
        try again.remove()
        #expect(Cgroup.children(host: host, parent: parent).isEmpty)
    }
}
