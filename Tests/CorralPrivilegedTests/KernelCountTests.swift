import CorralSandbox
import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// Per-user kernel counts (inotify, message queues) and the rlimits a sandbox gets. The kernel charges
    /// each sandbox's counts to host root too, which creates every sandbox's user namespace; the caps keep one
    /// sandbox from taking the budget of host root and of every other sandbox.
    @Suite struct KernelCounts {
        /// Takes inotify instances, then POSIX message queues, until the kernel refuses (or `cap`); prints how
        /// many and why it stopped; with "hold", says so and keeps them until killed.
        static let hog = """
        import ctypes, errno, os, sys, time
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        cap, tag = int(sys.argv[1]), sys.argv[2]
        def take(make):
            n = 0
            while n < cap:
                if make(n) < 0:
                    return n, errno.errorcode.get(ctypes.get_errno(), '?')
                n += 1
            return n, 'cap'
        def queue(n):
            name = ('/%s%d' % (tag, n)).encode()
            fd = libc.mq_open(name, os.O_CREAT | os.O_RDWR, 0o600, None)
            if fd >= 0: libc.mq_unlink(name)
            return fd
        n, why = take(lambda i: libc.inotify_init1(0))
        print('inotify=%d' % n); print('inotify_stop=' + why)
        n, why = take(queue)
        print('mqueue=%d' % n); print('mqueue_stop=' + why, flush=True)
        if len(sys.argv) > 3:
            print('holding=1', flush=True)
            time.sleep(600)
        """

        @Test("a sandbox that takes all the inotify instances and message queues it may leaves some for host root and another sandbox")
        func exhaustionStaysInside() throws {
            try privileged {
                let hog = try Corral.start([], [Corral.python, "-c", Self.hog, "1000", "a", "hold"])
                defer { kill(hog.pid, SIGTERM) }
                #expect(Residue.eventually(within: 60) { hog.stdoutSoFar().contains("holding=1") }, "\(hog.stdoutSoFar())")
                let held = RunResult(status: 0, stdout: hog.stdoutSoFar(), stderr: "", report: nil).values
                // Oracle: the probe notices exhaustion. The hog itself hits EMFILE, at its own cap: 16 inotify
                // instances, and the one default-size queue (about 82 KB) that 128 KiB of RLIMIT_MSGQUEUE holds.
                #expect(held["inotify"] == "16" && held["inotify_stop"] == "EMFILE", "\(held)")
                #expect(held["mqueue"] == "1" && held["mqueue_stop"] == "EMFILE", "\(held)")

                // While it holds them, host root (this test's child) and a second sandbox each still get one.
                let host = try Host.python(Self.hog, ["1", "h"])
                #expect(host.values["inotify"] == "1" && host.values["mqueue"] == "1", "host root: \(host)")
                let other = try Corral.python([], Self.hog, ["1", "b"])
                #expect(other.values["inotify"] == "1" && other.values["mqueue"] == "1", "second sandbox: \(other)")

                kill(hog.pid, SIGTERM)
                _ = hog.wait()
            }
        }

        @Test("the caps are the sandbox's own /proc/sys/user values, which it cannot raise")
        func capsAreSetAndFixed() throws {
            try privileged {
                let script = """
                import os
                for name in sorted(os.listdir('/proc/sys/user')):
                    print('%s=%s' % (name, open('/proc/sys/user/' + name).read().strip()))
                try:
                    open('/proc/sys/user/max_inotify_instances', 'w').write('100000')
                    print('raise=ok')
                except OSError as e:
                    print('raise=' + e.__class__.__name__)
                """
                let inside = try Corral.python([], script)
                #expect(inside.status == 0, "\(inside)")
                let v = inside.values
                #expect(v["max_inotify_instances"] == "16" && v["max_inotify_watches"] == "8192", "\(inside)")
                for kind in ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"] {
                    #expect(v["max_\(kind)_namespaces"] == "0", "\(kind): \(inside)")
                }
                #expect(v["raise"] != nil && v["raise"] != "ok", "\(inside)")
                // Oracle: the host's own values (the probe reads real files, and these differ).
                // (Not its write: root in this VM lacks CAP_SYS_RESOURCE, which writing needs.)
                let host = try Host.python(script)
                #expect(host.values["max_user_namespaces"].flatMap(Int.init).map { $0 > 0 } == true, "\(host)")
                #expect(host.values["max_inotify_instances"] != nil && host.values["max_inotify_instances"] != "16", "\(host)")
            }
        }

        @Test("with no seccomp filter, the kernel itself refuses a nested user namespace (ENOSPC); with a cap of 1 it allows one")
        func namespaceCapHoldsWithoutSeccomp() throws {
            try privileged {
                let launcher = try SandboxLauncher()
                defer { launcher.shutdown() }
                let script = """
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                r = libc.unshare(0x10000000)
                print('unshare=' + ('ok' if r == 0 else str(ctypes.get_errno())))
                """
                let capped = try InProcess.run(SandboxSpec(argv: [Corral.python, "-c", script]), launcher: launcher)
                #expect(capped.stdout == "unshare=\(ENOSPC)\n", "\(capped.stdout)")
                // Oracle: the same probe with the cap at 1 makes its namespace.
                var limits = ResourceLimits()
                limits.kernelCounts.namespaces = 1
                let allowed = try InProcess.run(SandboxSpec(argv: [Corral.python, "-c", script], limits: limits), launcher: launcher)
                #expect(allowed.stdout == "unshare=ok\n", "\(allowed.stdout)")
            }
        }

        @Test("without root namespaces (per-launch pivot) the caps are written too")
        func capsWithoutRootNamespaces() throws {
            try privileged {
                var configuration = SandboxLauncher.Configuration()
                configuration.rootNamespaces = false
                let launcher = try SandboxLauncher(configuration: configuration)
                defer { launcher.shutdown() }
                let result = try InProcess.run(SandboxSpec(argv: [Corral.python, "-c", Self.hog, "1000", "p"]), launcher: launcher)
                #expect(result.stdout.contains("inotify=16\ninotify_stop=EMFILE\n"), "\(result.stdout)")
                #expect(result.stdout.contains("mqueue=1\nmqueue_stop=EMFILE\n"), "\(result.stdout)")
            }
        }

        /// `Name  soft  hard  unit` rows of /proc/self/limits, by name, as "soft hard".
        static func limits(_ text: String) -> [String: String] {
            var rows: [String: String] = [:]
            for line in text.split(separator: "\n").dropFirst() {
                let name = String(line.prefix(26)).trimmingCharacters(in: .whitespaces)
                let values = line.dropFirst(26).split(separator: " ").prefix(2).joined(separator: " ")
                rows[name] = values
            }
            return rows
        }

        @Test("the rlimits show in /proc/self/limits inside: processes, message queues, signals, locked memory, real-time priority")
        func rlimitsVisible() throws {
            try privileged {
                let inside = try Corral.run(["--pids", "64"], ["/bin/cat", "/proc/self/limits"])
                #expect(inside.status == 0, "\(inside)")
                let rows = Self.limits(inside.stdout)
                #expect(rows["Max processes"] == "64 64", "\(inside)")
                #expect(rows["Max msgqueue size"] == "131072 131072", "\(inside)")
                #expect(rows["Max pending signals"] == "1024 1024", "\(inside)")
                #expect(rows["Max locked memory"] == "65536 65536", "\(inside)")
                #expect(rows["Max realtime priority"] == "0 0", "\(inside)")
                #expect(rows["Max open files"] == "1024 1024" && rows["Max core file size"] == "0 0", "\(inside)")
                // Oracle: the same parse of the host's own limits gives other values (the supervisor's defaults).
                let host = Self.limits(try Host.run(["/bin/cat", "/proc/self/limits"]).stdout)
                #expect(host["Max msgqueue size"] != nil && host["Max msgqueue size"] != rows["Max msgqueue size"], "\(host)")
                #expect(host["Max processes"] != nil && host["Max processes"] != rows["Max processes"], "\(host)")
            }
        }
    }
}
