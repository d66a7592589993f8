import Testing
@testable import CorralCgroups

@Suite struct CgroupFormatTests {
    @Test func numbers() {
        #expect(CgroupFormat.number("12345\n") == 12345)
        #expect(CgroupFormat.number("  0 ") == 0)
        #expect(CgroupFormat.number("max\n") == nil)
        #expect(CgroupFormat.number("") == nil)
        #expect(CgroupFormat.number("-1\n") == nil)
    }

    @Test func limits() {
        #expect(CgroupFormat.limit("max\n") == .max)
        #expect(CgroupFormat.limit("33554432\n") == .value(33_554_432))
        #expect(CgroupFormat.limit("lots") == nil)
    }

    @Test func keyValueFiles() {
        let events = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n"
        let parsed = CgroupFormat.keyValues(events)
        #expect(parsed["oom_kill"] == 1)
        #expect(parsed["max"] == 12)
        #expect(parsed.count == 6)
        // v1 memory.oom_control, and lines that are not "key number" are skipped.
        let oomControl = CgroupFormat.keyValues("oom_kill_disable 0\nunder_oom 0\noom_kill 4\nbroken\nname value\n")
        #expect(oomControl == ["oom_kill_disable": 0, "under_oom": 0, "oom_kill": 4])
        #expect(CgroupFormat.keyValues("").isEmpty)
    }

    @Test func cpuMax() throws {
        let limited = try #require(CgroupFormat.cpuMax("50000 100000\n"))
        #expect(limited.quota == .value(50000))
        #expect(limited.period == 100_000)
        let unlimited = try #require(CgroupFormat.cpuMax("max 100000\n"))
        #expect(unlimited.quota == .max)
        #expect(CgroupFormat.cpuMax("50000") == nil)
        #expect(CgroupFormat.cpuMax("50000 max") == nil)
    }

    @Test func namesAndPids() {
        #expect(CgroupFormat.names("cpuset cpu io memory pids\n") == ["cpuset", "cpu", "io", "memory", "pids"])
        #expect(CgroupFormat.names("\n").isEmpty)
        #expect(CgroupFormat.pids("12\n345\n\n") == [12, 345])
        #expect(CgroupFormat.pids("").isEmpty)
    }

    @Test(arguments: [(0.5, 50000 as UInt64?), (2, 200_000), (1.25, 125_000), (0.001, 1000), (0.0001, 1000),
                      (0, nil), (-1, nil), (.nan, nil), (.infinity, nil), (1e300, nil)])
    func cpuQuota(cpus: Double, expected: UInt64?) {
        #expect(CgroupFormat.cpuQuotaMicroseconds(cpus: cpus) == expected)
    }

    @Test func cpuMaxLine() {
        #expect(CgroupFormat.cpuMaxLine(cpus: 0.5) == "50000 100000")
        #expect(CgroupFormat.cpuMaxLine(cpus: -0.5) == nil)
    }

    @Test func names() {
        for good in ["corral", "sbx-1", "a.b", "fn_0123"] { #expect(CgroupFormat.isValidName(good), "\(good)") }
        for bad in ["", ".", "..", "a/b", "/", "../x", "a\0b", "a\nb", String(repeating: "x", count: 256)] {
            #expect(!CgroupFormat.isValidName(bad), "\(bad)")
        }
    }

    @Test func mountinfo() {
        let text = """
            25 30 0:22 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
            26 25 0:23 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw
            27 25 0:24 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory
            40 30 0:40 / /mnt/with\\040space rw - cgroup2 cgroup2 rw
            41 25 0:41 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate

            """
        #expect(CgroupFormat.filesystemType(mountinfo: text, mountPoint: "/sys/fs/cgroup/unified") == "cgroup2")
        #expect(CgroupFormat.filesystemType(mountinfo: text, mountPoint: "/sys/fs/cgroup/memory") == "cgroup")
        // The topmost of two mounts at one point wins.
        #expect(CgroupFormat.filesystemType(mountinfo: text, mountPoint: "/sys/fs/cgroup") == "cgroup2")
        #expect(CgroupFormat.filesystemType(mountinfo: text, mountPoint: "/mnt/with space") == "cgroup2")
        #expect(CgroupFormat.filesystemType(mountinfo: text, mountPoint: "/nowhere") == nil)
        #expect(CgroupFormat.unescapeMountPath("a\\011b\\134c") == "a\tb\\c")
    }

    @Test func trimming() {
        #expect(" \tFROZEN\n".trimmingWhitespace() == "FROZEN")
        #expect("\n\n".trimmingWhitespace() == "")
    }
}
