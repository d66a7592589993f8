import CorralSandbox
import CorralSystem
import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// A tenant's grant is bound from its pinned root without following any symlink: a tenant that can write
    /// above a granted path and swaps it for a symlink to / while functions start never gets the host's /.
    @Suite struct BindSources {
        /// A root-owned base under /var/tmp holding the pinned root `root` with `granted/marker` inside and
        /// `decoy`, a symlink to /, beside it (what an attacker who can write in `root` would plant).
        struct Layout {
            let base: String
            var root: String { base + "/root" }
            var granted: String { root + "/granted" }
            var decoy: String { root + "/decoy" }

            init() throws {
                base = "/var/tmp/corral-bindsrc-\(UUID().uuidString.prefix(8))"
                try FileManager.default.createDirectory(atPath: base + "/root/granted", withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o755])
                try "granted\n".write(toFile: base + "/root/granted/marker", atomically: false, encoding: .utf8)
                try FileManager.default.createSymbolicLink(atPath: base + "/root/decoy", withDestinationPath: "/")
            }

            func remove() { try? FileManager.default.removeItem(atPath: base) }
        }

        static func identity(_ path: String) -> String {
            var st = stat()
            guard lstat(path, &st) == 0 else { return "missing" }
            return "\(st.st_dev):\(st.st_ino)"
        }

        /// What /data is inside: its device and inode (stat follows the mount, not a link).
        static func spec(_ bind: BindMount) -> SandboxSpec {
            SandboxSpec(argv: ["/usr/bin/stat", "-c", "%d:%i", "/data"], binds: [bind])
        }

        @Test("a granted path swapped for a symlink to / during hundreds of starts is never bound as /")
        func swapRace() throws {
            try privileged {
                let layout = try Layout()
                defer { layout.remove() }
                let pinned = try PinnedDirectory.pin(layout.root)
                let expected = Self.identity(layout.granted)
                let launcher = try SandboxLauncher()
                defer { launcher.shutdown() }
                let bind = BindMount(source: layout.granted, destination: "/data", readOnly: true, root: pinned)

                // Oracle: the probe tells binds apart, and an operator's bind (resolved when planned, so it
                // follows the link) of the decoy shows the host's / where the grant's shows `granted`.
                let granted = try InProcess.run(Self.spec(bind), launcher: launcher)
                #expect(granted.exitCode == 0 && granted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "\(granted)")
                let followed = try InProcess.run(Self.spec(BindMount(source: layout.decoy, destination: "/data")), launcher: launcher)
                #expect(followed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == Self.identity("/"), "\(followed)")
                #expect(Self.identity("/") != expected)

                // The attacker: swaps `granted` and `decoy` (RENAME_EXCHANGE) as fast as it can.
                let racer = try Started([Corral.python, "-c", """
                import ctypes, os, sys
                libc = ctypes.CDLL(None, use_errno=True)
                a, b = sys.argv[1].encode(), sys.argv[2].encode()
                while True:
                    libc.renameat2(-100, a, -100, b, 2)
                """, layout.granted, layout.decoy])
                var bound = 0, refused = 0
                var wrong: [String] = []
                for _ in 0..<300 {
                    do {
                        let out = try InProcess.run(Self.spec(bind), launcher: launcher)
                        let seen = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                        if out.exitCode == 0 && seen == expected { bound += 1 } else if out.exitCode == 0 { wrong.append(seen) } else { refused += 1 }
                    } catch {
                        refused += 1 // refused at plan or open: the symlink was seen, not followed
                    }
                }
                kill(racer.pid, SIGKILL)
                _ = racer.wait()
                #expect(wrong.isEmpty, "bound something other than the granted directory: \(wrong.prefix(5)) (/ is \(Self.identity("/")))")
                // Both outcomes must have happened, or the race was not run.
                #expect(bound > 0 && refused > 0, "bound \(bound), refused \(refused) of 300")
            }
        }

        @Test("a granted path that is a symlink, or runs through one, beneath its root is refused")
        func symlinkBeneathRoot() throws {
            try privileged {
                let layout = try Layout()
                defer { layout.remove() }
                let pinned = try PinnedDirectory.pin(layout.root)
                let launcher = try SandboxLauncher()
                defer { launcher.shutdown() }
                try FileManager.default.createSymbolicLink(atPath: layout.root + "/via", withDestinationPath: "granted")
                for source in [layout.decoy, layout.root + "/via", layout.root + "/via/marker", layout.decoy + "/etc"] {
                    let bind = BindMount(source: source, destination: "/data", readOnly: true, root: pinned)
                    #expect(throws: SandboxError.self, "\(source)") { _ = try InProcess.run(Self.spec(bind), launcher: launcher) }
                }
                // Oracle: the same source without the link is bound.
                let plain = try InProcess.run(Self.spec(BindMount(source: layout.granted, destination: "/data", root: pinned)), launcher: launcher)
                #expect(plain.exitCode == 0, "\(plain)")
            }
        }

        @Test("a tenant's bind is not recursive: a mount below the granted path stays out of the sandbox")
        func notRecursive() throws {
            try privileged {
                let layout = try Layout()
                defer { layout.remove() }
                try FileManager.default.createDirectory(atPath: layout.granted + "/sub", withIntermediateDirectories: true)
                let mounted = try Host.run(["/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", layout.granted + "/sub"])
                try #require(mounted.status == 0, "\(mounted)")
                defer { _ = try? Host.run(["/bin/umount", "-l", layout.granted + "/sub"]) }
                try "below\n".write(toFile: layout.granted + "/sub/file", atomically: false, encoding: .utf8)
                let pinned = try PinnedDirectory.pin(layout.root)
                let launcher = try SandboxLauncher()
                defer { launcher.shutdown() }
                let probe = ["/bin/sh", "-c", "test -e /data/sub/file && echo visible || echo hidden"]
                let tenant = try InProcess.run(SandboxSpec(argv: probe, binds: [BindMount(source: layout.granted, destination: "/data", root: pinned)]),
                                               launcher: launcher)
                #expect(tenant.stdout == "hidden\n", "\(tenant)")
                // Oracle: an operator's (recursive) bind of the same directory shows the submount.
                let operatorBind = try InProcess.run(SandboxSpec(argv: probe, binds: [BindMount(source: layout.granted, destination: "/data")]),
                                                     launcher: launcher)
                #expect(operatorBind.stdout == "visible\n", "\(operatorBind)")
            }
        }

        @Test("a root reached through a symlink or a directory others can write is refused; one moved aside fails verify")
        func strictRoots() throws {
            try privileged {
                let layout = try Layout()
                defer { layout.remove() }
                // Oracle: the well-formed root pins.
                let pinned = try PinnedDirectory.pin(layout.root)
                try pinned.verify()

                try FileManager.default.createSymbolicLink(atPath: layout.base + "/link", withDestinationPath: "root")
                #expect(throws: PinnedDirectory.Refusal.self) { _ = try PinnedDirectory.pin(layout.base + "/link") }
                #expect(throws: PinnedDirectory.Refusal.self) { _ = try PinnedDirectory.pin(layout.base + "/link/granted") }

                try FileManager.default.createDirectory(atPath: layout.base + "/open/inner", withIntermediateDirectories: true)
                chmod(layout.base + "/open", 0o777)
                #expect(throws: PinnedDirectory.Refusal.self) { _ = try PinnedDirectory.pin(layout.base + "/open/inner") }
                try FileManager.default.createDirectory(atPath: layout.base + "/owned/inner", withIntermediateDirectories: true)
                chown(layout.base + "/owned", 1000, 1000)
                #expect(throws: PinnedDirectory.Refusal.self) { _ = try PinnedDirectory.pin(layout.base + "/owned/inner") }

                // The root renamed away and a symlink to the old one (or a fresh directory) put in its place.
                rename(layout.root, layout.base + "/moved")
                symlink("moved", layout.root)
                #expect(throws: PinnedDirectory.Refusal.self) { try pinned.verify() }
                unlink(layout.root)
                mkdir(layout.root, 0o755)
                #expect(throws: PinnedDirectory.Refusal.self) { try pinned.verify() }
            }
        }
    }
}
