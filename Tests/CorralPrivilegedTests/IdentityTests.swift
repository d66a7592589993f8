import Foundation
import Testing

/// The root of the privileged suite: every test in it runs one after another, so CPU quotas, pid counts
/// and the leftover checks are not disturbed by a neighbour.
@Suite(.serialized) struct PrivilegedSandboxTests {}

extension PrivilegedSandboxTests {
    /// Who the command is: root inside, one unprivileged uid outside, no capabilities, filtered.
    @Suite struct Identity {
        @Test("root inside maps to one unprivileged host uid and gid; no supplementary groups")
        func uidMap() throws {
            try privileged {
                let probe = "cat /proc/self/uid_map; echo ---; cat /proc/self/gid_map; echo ---; grep '^Groups:' /proc/self/status"
                let inside = try Corral.run([], ["/bin/sh", "-c", probe])
                #expect(inside.status == 0, "\(inside)")
                let parts = inside.stdout.components(separatedBy: "---\n").map { Probe.words($0).trimmingCharacters(in: .whitespacesAndNewlines) }
                // By default the operator's block of the default id pool, outside /etc/passwd and /etc/subuid.
                let id = 0x7000_0000
                #expect(parts == ["0 \(id) 1", "0 \(id) 1", "Groups:"], "\(inside)")

                let other = try Corral.run(["--uid", "200000"], ["/bin/sh", "-c", probe])
                let otherParts = other.stdout.components(separatedBy: "---\n").map { Probe.words($0).trimmingCharacters(in: .whitespacesAndNewlines) }
                #expect(otherParts == ["0 200000 1", "0 200000 1", "Groups:"], "\(other)")

                // Oracle: the host's maps are the identity map, and the same probe sees groups when there are some.
                let hostMap = try String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8)
                #expect(Probe.words(hostMap).trimmingCharacters(in: .whitespacesAndNewlines) == "0 0 4294967295")
                let withGroups = try Host.python("import os; os.setgroups([4, 24]); print(open('/proc/self/status').read())")
                #expect(Probe.statusFields(withGroups.stdout)["Groups"].map(Probe.words) == "4 24", "\(withGroups)")
            }
        }

        @Test("no capabilities in any set, no_new_privs, seccomp filter mode")
        func privileges() throws {
            try privileged {
                let inside = try Corral.run([], ["/bin/cat", "/proc/self/status"])
                #expect(inside.status == 0, "\(inside)")
                let fields = Probe.statusFields(inside.stdout)
                for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
                    #expect(fields[set] == "0000000000000000", "\(set) = \(fields[set] ?? "missing")")
                }
                #expect(fields["NoNewPrivs"] == "1")
                #expect(fields["Seccomp"] == "2")

                // Oracle: the test process itself (root, unconfined) reads differently through the same parser.
                #expect(Host.ownStatus("CapEff") != "0000000000000000")
                #expect(Host.ownStatus("CapBnd") != "0000000000000000")
                #expect(Host.ownStatus("Seccomp") == "0")
            }
        }

        @Test("--hostname sets the UTS name the command sees")
        func hostname() throws {
            try privileged {
                let inside = try Corral.run(["--hostname", "foo"], ["/bin/hostname"])
                #expect(inside.status == 0, "\(inside)")
                #expect(inside.stdout == "foo\n")
                // Oracle: the host's name is something else.
                let host = try Host.run(["/bin/hostname"])
                #expect(host.status == 0)
                #expect(host.stdout != "foo\n" && !host.stdout.isEmpty)
            }
        }
    }
}
