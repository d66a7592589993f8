import CorralSandbox
import CorralSeccomp
import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// The default seccomp profile, probed the bubblewrap way: each dangerous call with harmless, invalid
    /// arguments. Unfiltered the kernel rejects the arguments (EBADF, EFAULT, EINVAL, ENOSYS, ...);
    /// filtered the call never reaches the kernel and gets EPERM.
    @Suite struct Seccomp {
        static let probe = """
        import ctypes, errno, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        def call(nr, *args):
            ctypes.set_errno(0)
            r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
            e = ctypes.get_errno()
            if r >= 0 and nr == 41: os.close(r)
            return 'ok' if r >= 0 else errno.errorcode.get(e, str(e))
        TIOCSTI = 0x5412
        probes = [
            ('keyctl', 250, -1), ('add_key', 248, 0, 0, 0, 0, 0), ('bpf', 321, -1, 0, 0),
            ('perf_event_open', 298, 0, 0, -1, -1, 0), ('userfaultfd', 323, -1),
            ('kexec_load', 246, 0, 0, 0, -1), ('open_by_handle_at', 304, -1, 0, 0),
            ('init_module', 175, 0, 0, 0), ('ptrace', 101, -1, 0, 0, 0), ('process_vm_readv', 310, 0, 0, 1, 0, 1, 0),
            ('kcmp', 312, 0, 0, -1, 0, 0), ('mount', 165, 0, 0, 0, 0, 0), ('umount2', 166, 0, 0),
            ('pivot_root', 155, 0, 0), ('unshare', 272, -1), ('setns', 308, -1, 0), ('swapon', 167, 0, 0),
            ('reboot', 169, 0, 0, 0, 0), ('acct', 163, 1), ('syslog', 103, -1, 0, 0),
            ('io_uring_setup', 425, 0, 0), ('personality', 135, 0x0040000),
            ('socket_vsock', 41, 40, 1, 0), ('socket_alg', 41, 38, 5, 0),
            ('ioctl_tiocsti', 16, 0, TIOCSTI | (0x123 << 32), 0),
        ]
        for name, nr, *args in probes:
            print('%s=%s' % (name, call(nr, *args)), flush=True)
        if len(sys.argv) > 1 and sys.argv[1] == 'x32':
            print('x32=' + call(0x40000000 | 39), flush=True)
        """

        static let names = ["keyctl", "add_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "open_by_handle_at",
                            "init_module", "ptrace", "process_vm_readv", "kcmp", "mount", "umount2", "pivot_root", "unshare",
                            "setns", "swapon", "reboot", "acct", "syslog", "io_uring_setup", "personality", "ioctl_tiocsti"]

        @Test("dangerous system calls get EPERM inside; unsandboxed the same probe gets the kernel's own error")
        func denylist() throws {
            try privileged {
                let inside = try Corral.python([], Self.probe)
                #expect(inside.status == 0, "\(inside)")
                let outside = try Host.python(Self.probe)
                #expect(outside.status == 0, "\(outside)")
                for name in Self.names {
                    #expect(inside.values[name] == "EPERM", "inside, \(name) -> \(inside.values[name] ?? "missing")")
                    // Oracle: the filter, not the arguments, produced the EPERM.
                    let host = outside.values[name]
                    #expect(host != nil && host != "EPERM", "outside, \(name) -> \(host ?? "missing")")
                }
            }
        }

        /// Runs the probe (plus the status's seccomp lines) in a sandbox started by a launcher in this
        /// process: the launch goes to a spawn thread that carries the outer half of the split profile, and
        /// the sandbox loads only the inner half.
        static func probeWithSplitProfile(_ argument: String? = nil) throws -> (status: Int32, values: [String: String]) {
            let launcher = try SandboxLauncher()
            defer { launcher.shutdown() }
            var spec = SandboxSpec(argv: [Corral.python, "-c", probe + """

            for line in open('/proc/self/status'):
                if line.startswith('Seccomp'): print(line.replace(':\t', '=').strip(), flush=True)
            """] + (argument.map { [$0] } ?? []))
            spec.seccomp = try SeccompProfile.builtInDefault
            let result = try InProcess.run(spec, launcher: launcher)
            var values: [String: String] = [:]
            for line in result.stdout.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                values[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
            return (result.exitCode, values)
        }

        /// socket() for each of `families` (stream, datagram and raw types) and AF_NETLINK with each of
        /// `netlink`'s protocols, and socketpair for each family; prints the ones that made a socket.
        static func socketProbe(families: String = "range(64)", netlink: String = "range(32)") -> String {
            """
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            def made(fd):
                if fd >= 0: os.close(fd)
                return fd >= 0
            fams = [f for f in \(families) if f != 16 and any(made(libc.socket(f, t, 0)) for t in (1, 2, 3, 5))]
            nl = [p for p in \(netlink) if any(made(libc.socket(16, t, p)) for t in (3, 2))]
            pair = (ctypes.c_int * 2)()
            pairs = [f for f in \(families) if any(libc.socketpair(f, t, 0, pair) == 0 for t in (1, 2, 5))]
            print('families=' + ','.join(map(str, fams)))
            print('netlink=' + ','.join(map(str, nl)))
            print('socketpair=' + ','.join(map(str, pairs)), flush=True)
            """
        }

        @Test("socket() makes only AF_UNIX, AF_INET, AF_INET6 and NETLINK_ROUTE/SOCK_DIAG sockets; socketpair only AF_UNIX")
        func socketAllowlist() throws {
            try privileged {
                let inside = try Corral.python([], Self.socketProbe())
                #expect(inside.status == 0, "\(inside)")
                #expect(inside.values["families"] == "1,2,10", "\(inside)")
                #expect(inside.values["netlink"] == "0,4", "\(inside)")
                #expect(inside.values["socketpair"] == "1", "\(inside)")
                // Oracle: on the host the same probe makes more: AF_PACKET (17) as root, the kernel uevent
                // netlink socket (15) for anyone. So what is missing inside was refused in the sandbox. The
                // oracle asks only for the families it checks: on the host every unknown family makes the
                // kernel run modprobe, which under an emulated VM takes longer than the probe's deadline.
                let outside = try Host.python(Self.socketProbe(families: "(1, 2, 10, 17)", netlink: "(0, 4, 15)"))
                #expect(outside.status == 0, "\(outside)")
                let families = Set((outside.values["families"] ?? "").split(separator: ",").map(String.init))
                let netlink = Set((outside.values["netlink"] ?? "").split(separator: ",").map(String.init))
                #expect(families.contains("17") && netlink.contains("15"), "\(outside)")
                #expect(families.isSuperset(of: ["1", "2", "10"]) && netlink.isSuperset(of: ["0", "4"]), "\(outside)")
                // The refused ones get the kernel's "not supported" errnos, which libraries already handle.
                let errors = try Corral.python([], Self.probe)
                #expect(errors.values["socket_vsock"] == "EAFNOSUPPORT" && errors.values["socket_alg"] == "EAFNOSUPPORT", "\(errors)")
            }
        }

        @Test("with the profile split between the cloning thread and the sandbox, the same calls get EPERM and x32 kills")
        func splitProfile() throws {
            try privileged {
                let inside = try Self.probeWithSplitProfile()
                #expect(inside.status == 0, "\(inside)")
                for name in Self.names {
                    #expect(inside.values[name] == "EPERM", "\(name) -> \(inside.values[name] ?? "missing")")
                }
                // Two filters stacked: the proof that this launch took the split path (the whole profile is one).
                #expect(inside.values["Seccomp"] == "2" && inside.values["Seccomp_filters"] == "2", "\(inside.values)")
                // Oracle: `corral run` (its main thread carries no filter) loads the whole profile, one filter.
                let whole = try Corral.python([], Self.probe + "\nprint(open('/proc/self/status').read().split('Seccomp_filters:')[1].split()[0])")
                #expect(whole.stdout.hasSuffix("\n1\n"), "\(whole)")
                let x32 = try Self.probeWithSplitProfile("x32")
                #expect(x32.status == 159 && x32.values["ioctl_tiocsti"] == "EPERM" && x32.values["x32"] == nil, "\(x32)")
            }
        }

        @Test("an x32 system call kills the command with SIGSYS (exit 159)")
        func x32Killed() throws {
            try privileged {
                let inside = try Corral.python([], Self.probe, ["x32"])
                #expect(inside.status == 159, "\(inside)")
                #expect(inside.report?.signal == 31, "\(inside)")
                #expect(inside.values["ioctl_tiocsti"] == "EPERM", "the probe did not get as far as the x32 call: \(inside)")
                #expect(inside.values["x32"] == nil, "\(inside)")
                // Oracle: unsandboxed the process survives the call (ENOSYS without x32 support, else a pid).
                let outside = try Host.python(Self.probe, ["x32"])
                #expect(outside.status == 0, "\(outside)")
                #expect(outside.values["x32"] != nil, "\(outside)")
            }
        }
    }
}
