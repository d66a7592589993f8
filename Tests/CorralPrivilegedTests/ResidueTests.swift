import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// The leftover check that runs after every privileged test (`privileged { }`) must be able to fail:
    /// each of its three probes is shown a planted leftover here, which it must see, and then its removal.
    @Suite struct ResidueCheck {
        @Test("the marker scan sees a live marker process, and its absence once it is gone")
        func markerScanSeesProcesses() throws {
            try privileged {
                let marker = Marker.make("residue")
                let planted = try Started(["/bin/sh", "-c", "sleep 30", marker])
                #expect(Residue.eventually(within: 10) { !Residue.processes(containing: marker).isEmpty })
                kill(planted.pid, SIGKILL)
                _ = planted.wait()
                #expect(Residue.processes(containing: marker).isEmpty)
            }
        }

        @Test("the cgroup scan sees a child group under the corral parent")
        func cgroupScanSeesGroups() throws {
            try privileged {
                let parent = try #require(Residue.parentDirectories.first)
                _ = mkdir(parent, 0o755) // EEXIST once Corral has run; Corral creates and keeps the parent too
                let group = parent + "/privtest-residue-\(getpid())"
                try #require(mkdir(group, 0o755) == 0, "mkdir \(group): errno \(errno)")
                #expect(Residue.leftoverGroups().contains(group))
                rmdir(group)
                #expect(!Residue.leftoverGroups().contains(group))
            }
        }

        @Test("the mount count sees one more mount on the host")
        func mountCountSeesMounts() throws {
            try privileged {
                var template = Array("/tmp/corral-privtest-mnt-XXXXXX".utf8CString)
                let dir = String(cString: try #require(mkdtemp(&template)))
                defer { rmdir(dir) }
                let before = Residue.mountCount()
                try #require(mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0, "mount: errno \(errno)")
                #expect(Residue.mountCount() == before + 1)
                umount2(dir, 0)
                #expect(Residue.mountCount() == before)
            }
        }
    }
}
