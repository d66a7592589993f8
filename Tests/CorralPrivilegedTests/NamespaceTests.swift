import Foundation
import Testing

extension PrivilegedSandboxTests {
    /// The ipc and cgroup namespaces: what other processes made is out of sight.
    @Suite struct Namespaces {
        @Test("SysV shared memory made on the host is not visible inside, and what the sandbox makes stays inside")
        func ipcNamespace() throws {
            try privileged {
                // Oracle: the same listing on the host sees the segment it made.
                let made = try Host.run(["/usr/bin/ipcmk", "-M", "4096"])
                #expect(made.status == 0, "\(made)")
                let id = try #require(made.stdout.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(made)")
                defer { _ = try? Host.run(["/usr/bin/ipcrm", "-m", id]) }
                let hostList = try Host.run(["/usr/bin/ipcs", "-m"])
                #expect(hostList.stdout.contains(" \(id) "), "\(hostList)")

                let inside = try Corral.run([], ["/bin/sh", "-c", "/usr/bin/ipcs -m; /usr/bin/ipcmk -M 4096 >/dev/null && /usr/bin/ipcs -m | grep -c '^0x'"])
                #expect(inside.status == 0, "\(inside)")
                #expect(!inside.stdout.contains(" \(id) "), "the host's segment is visible inside: \(inside)")
                #expect(inside.stdout.hasSuffix("1\n"), "the sandbox should see exactly its own segment: \(inside)")
                // And the sandbox's segment died with its namespace.
                let after = try Host.run(["/usr/bin/ipcs", "-m"])
                #expect(after.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("0x") }.count
                        == hostList.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("0x") }.count, "\(after)")
            }
        }

        @Test("the cgroup namespace roots /proc/self/cgroup at the sandbox's own group")
        func cgroupNamespace() throws {
            try privileged {
                let inside = try Corral.run([], ["/bin/cat", "/proc/self/cgroup"])
                #expect(inside.status == 0, "\(inside)")
                let paths = inside.stdout.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2).last.map(String.init) ?? "" }
                #expect(!paths.isEmpty && paths.allSatisfy { $0 == "/" }, "\(inside)")
                // Oracle: seen from the host, the same process is in corral/sbx-... groups.
                let marker = Marker.make("cgroupns")
                let started = try Corral.start(["--timeout", "20s"], ["/bin/sh", "-c", "sleep 600; :", marker])
                var pid: Int32?
                _ = Residue.eventually(within: 10) {
                    pid = Residue.processes(containing: marker).first { $0.value.hasPrefix("/bin/sh -c ") }?.key
                    return pid != nil
                }
                let hostView = pid.flatMap { try? String(contentsOfFile: "/proc/\($0)/cgroup", encoding: .utf8) } ?? ""
                kill(started.pid, SIGTERM)
                kill(started.pid, SIGTERM)
                _ = started.wait()
                #expect(hostView.contains("/corral/sbx-"), "from the host: \(hostView)")
            }
        }
    }
}
