import Foundation
import Testing

@testable import CorralSeccomp

private let debianPython = "/usr/bin/python3"

/// Loads the compiled default profile into real processes and probes it: the filter must give each dangerous
/// call EPERM, unknown ones ENOSYS, and kill other ABIs; the same probes without the filter are the oracle
/// that shows each probe would notice a missing or weakened filter. Needs no root (no_new_privs suffices).
///
/// Uses Debian's /usr/bin/python3 with ctypes (not the python3 on PATH, which may be a pyenv shim).
/// Without /usr/bin/python3 the suite skips, except under CI=true, where it runs and fails.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: debianPython)
                                 || ProcessInfo.processInfo.environment["CI"] == "true",
                             "needs Debian's /usr/bin/python3"))
struct KernelProbeTests {
    static let python = debianPython
    static let EPERM: Int32 = 1
    static let ENOSYS: Int32 = 38
    static let SIGSYS: Int32 = 31

    static let dangerous = [
        "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load",
        "open_by_handle_at", "name_to_handle_at", "init_module", "finit_module", "delete_module", "ptrace",
        "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise", "mount", "umount2", "fsopen",
        "fsmount", "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr", "pivot_root", "chroot", "setns",
        "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "lookup_dcookie", "sethostname", "setdomainname", "clock_settime", "settimeofday",
        "adjtimex", "clock_adjtime", "iopl", "ioperm", "mbind", "set_mempolicy", "migrate_pages", "move_pages", "uselib",
        "ustat", "sysfs", "_sysctl", "nfsservctl", "personality_addr_no_randomize", "ioctl_tiocsti", "ioctl_tiocsti_high_bits", "ioctl_tioclinux",
        "clone_newns", "clone_newcgroup", "clone_newuts", "clone_newipc", "clone_newuser", "clone_newpid",
        "clone_newnet", "clone_newtime", "unshare_newuser",
    ]
    /// Not in the allowlist: the default action.
    static let unimplemented = ["clone3", "fanotify_init", "unknown_1000"]
    /// Socket families and netlink protocols outside the allowlist: the errno the kernel gives for one it lacks.
    static let refusedSockets: [String: Int32] = [
        "socket_vsock": 97, "socket_vsock_high_bits": 97, "socket_alg": 97, "socket_packet": 97,
        "socket_inet_high_bits": 97, "socket_netlink_uevent": 93, "socket_netlink_audit": 93,
        "socketpair_inet": 95, "socketpair_tipc": 95,
    ]
    /// Allowed: the filter must not change the result.
    static let allowed = [
        "personality_query", "personality_linux32", "socket_unix", "socket_inet", "socket_inet6", "socket_netlink",
        "socket_netlink_sock_diag", "socketpair_unix",
        "ioctl_tcgets", "ioctl_fionread", "clone_thread_only", "getpid",
    ]

    struct Run {
        var output: String
        var signal: Int32?
        var status: Int32?
    }

    /// Files for one test: the default profile's BPF and the two scripts.
    final class Fixture {
        let filter: String
        let loader: String
        let probe: String

        deinit {
            for path in filter.split(separator: ",").map(String.init) + [loader, probe] { unlink(path) }
        }

        /// `split`: the default profile as its two halves (SeccompSplit), outer then inner, instead of whole.
        init(split: Bool = false) throws {
            let profile = try SeccompProfile.builtInDefault
            if split {
                let halves = try SeccompCompiler.split(profile, keeping: KernelProbeTests.setupCalls)
                let outer = try temporaryFile(bytes: halves.outer.bytes, suffix: ".bpf")
                let inner = try temporaryFile(bytes: halves.inner.bytes, suffix: ".bpf")
                filter = outer + "," + inner
            } else {
                filter = try temporaryFile(bytes: try SeccompCompiler.compile(profile).bytes, suffix: ".bpf")
            }
            loader = try temporaryFile(contents: loaderScript, suffix: ".py")
            probe = try temporaryFile(contents: probeScript, suffix: ".py")
        }

        /// Runs `arguments` directly, or under the filter through the loader.
        func run(_ arguments: [String], filtered: Bool, filter chosen: String? = nil) throws -> Run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: KernelProbeTests.python)
            let loaded = chosen ?? (filtered ? filter : nil)
            process.arguments = loaded.map { [loader, $0] + arguments } ?? Array(arguments.dropFirst())
            if loaded == nil { process.executableURL = URL(fileURLWithPath: arguments[0]) }
            let out = Pipe()
            process.standardOutput = out
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            return process.terminationReason == .uncaughtSignal
                ? Run(output: text, signal: process.terminationStatus, status: nil)
                : Run(output: text, signal: nil, status: process.terminationStatus)
        }

        func probe(_ mode: String, filtered: Bool) throws -> [String: Int32] {
            let run = try run([KernelProbeTests.python, probe, mode], filtered: filtered)
            guard run.status == 0, let data = run.output.data(using: .utf8),
                let results = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw TestFailure(description: "probe \(mode) failed: \(run)") }
            return results.compactMapValues { ($0 as? NSNumber)?.int32Value }
        }
    }

    /// The calls SandboxLauncher keeps out of the outer half (SandboxLauncher.setupSystemCalls).
    static let setupCalls: Set<String> = [
        "clone", "clone3", "unshare", "setns", "sethostname",
        "mount", "umount2", "open_tree", "move_mount", "mount_setattr", "pivot_root",
    ]

    /// The two halves of a split profile, stacked, must answer every probe as the whole profile does; each
    /// half alone must not (the oracle that shows the probes tell the halves from the whole).
    @Test func theSplitHalvesTogetherDecideEveryProbeAsTheWholeProfile() throws {
        let whole = try Fixture()
        let halves = try Fixture(split: true)
        let expected = try whole.probe("calls", filtered: true)
        let got = try halves.probe("calls", filtered: true)
        #expect(expected.count > 80, "\(expected)")
        #expect(got == expected)
        for (name, errno) in expected where got[name] != errno {
            Issue.record("\(name): \(got[name] ?? -1) with the halves, \(errno) whole")
        }
        let personality = try halves.run([Self.python, halves.probe, "personality"], filtered: true)
        #expect(personality.status == 0 && personality.output.contains(#""wrong": []"#), "\(personality)")
        for abi in ["x32", "i386"] {
            let run = try halves.run([Self.python, halves.probe, abi], filtered: true)
            #expect(run.signal == Self.SIGSYS, "\(abi): \(run)")
        }

        let paths = halves.filter.split(separator: ",").map(String.init)
        let outerAlone = try halves.run([Self.python, halves.probe, "calls"], filtered: false, filter: paths[0])
        let innerAlone = try halves.run([Self.python, halves.probe, "calls"], filtered: false, filter: paths[1])
        let outer = try Self.decode(outerAlone), inner = try Self.decode(innerAlone)
        // The outer half lets the setup calls through; the inner one lets everything else through.
        #expect(outer["mount"] != Self.EPERM && outer["clone_newuser"] != Self.EPERM && outer["keyctl"] == Self.EPERM, "\(outer)")
        #expect(inner["mount"] == Self.EPERM && inner["clone_newuser"] == Self.EPERM && inner["keyctl"] != Self.EPERM, "\(inner)")
        #expect(inner["clone_thread_only"] == expected["clone_thread_only"], "\(inner)")
    }

    static func decode(_ run: Run) throws -> [String: Int32] {
        guard run.status == 0, let data = run.output.data(using: .utf8),
            let results = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw TestFailure(description: "probe failed: \(run)") }
        return results.compactMapValues { ($0 as? NSNumber)?.int32Value }
    }

    @Test func dangerousCallsGetEPERMAndUnfilteredTheyDoNot() throws {
        let fixture = try Fixture()
        let filtered = try fixture.probe("calls", filtered: true)
        let unfiltered = try fixture.probe("calls", filtered: false)
        for name in Self.dangerous {
            #expect(filtered[name] == Self.EPERM, "\(name) under the filter: errno \(filtered[name] ?? -1)")
            // The oracle: the same call without the filter fails differently (or succeeds), so EPERM above
            // came from the filter. Running as non-root, capability checks also give EPERM; skip those.
            if getuid() == 0 {
                #expect(unfiltered[name] != Self.EPERM, "\(name) unfiltered also gives EPERM: the probe proves nothing")
            }
        }
    }

    @Test func unlistedCallsGetENOSYS() throws {
        let fixture = try Fixture()
        let filtered = try fixture.probe("calls", filtered: true)
        let unfiltered = try fixture.probe("calls", filtered: false)
        for name in Self.unimplemented {
            #expect(filtered[name] == Self.ENOSYS, "\(name) under the filter: errno \(filtered[name] ?? -1)")
        }
        // The oracle for the default action (syscall 1000 is ENOSYS either way, so it cannot serve).
        for name in ["clone3", "fanotify_init"] {
            #expect(unfiltered[name] != Self.ENOSYS, "\(name) unfiltered: errno \(unfiltered[name] ?? -1)")
        }
    }

    @Test func allowedCallsBehaveAsWithoutTheFilter() throws {
        let fixture = try Fixture()
        let filtered = try fixture.probe("calls", filtered: true)
        let unfiltered = try fixture.probe("calls", filtered: false)
        for name in Self.allowed {
            #expect(filtered[name] != nil)
            #expect(filtered[name] == unfiltered[name], "\(name): \(filtered[name] ?? -1) filtered, \(unfiltered[name] ?? -1) not")
        }
        #expect(filtered["socket_inet"] == 0)
    }

    @Test func socketFamiliesOutsideTheAllowlistGetTheKernelsNotSupportedErrors() throws {
        let fixture = try Fixture()
        let filtered = try fixture.probe("calls", filtered: true)
        let unfiltered = try fixture.probe("calls", filtered: false)
        for (name, errno) in Self.refusedSockets {
            #expect(filtered[name] == errno, "\(name) under the filter: errno \(filtered[name] ?? -1)")
        }
        // The oracle: unfiltered, the kernel makes these (it truncates the family to AF_INET; the uevent
        // socket needs no privilege), so the errors above came from the filter.
        #expect(unfiltered["socket_inet_high_bits"] == 0, "\(unfiltered["socket_inet_high_bits"] ?? -1)")
        #expect(unfiltered["socket_netlink_uevent"] == 0, "\(unfiltered["socket_netlink_uevent"] ?? -1)")
    }

    @Test func personalityAllowsExactlyTheFiveValues() throws {
        let fixture = try Fixture()
        let run = try fixture.run([Self.python, fixture.probe, "personality"], filtered: true)
        #expect(run.status == 0)
        #expect(run.output.contains(#""wrong": []"#), "\(run.output)")
    }

    @Test func x32CallsKillTheProcess() throws {
        let fixture = try Fixture()
        let unfiltered = try fixture.run([Self.python, fixture.probe, "x32"], filtered: false)
        #expect(unfiltered.status == 0, "unfiltered x32 getpid should return (ENOSYS without CONFIG_X86_X32_ABI)")
        let filtered = try fixture.run([Self.python, fixture.probe, "x32"], filtered: true)
        #expect(filtered.signal == Self.SIGSYS, "\(filtered)")
    }

    @Test func i386CallsKillTheProcess() throws {
        let fixture = try Fixture()
        let unfiltered = try fixture.run([Self.python, fixture.probe, "i386"], filtered: false)
        try #require(unfiltered.status == 0 && unfiltered.output.contains("true"), "int 0x80 unavailable here: \(unfiltered)")
        let filtered = try fixture.run([Self.python, fixture.probe, "i386"], filtered: true)
        #expect(filtered.signal == Self.SIGSYS, "\(filtered)")
    }

    @Test func ordinaryProgramsRunUnderTheFilter() throws {
        let fixture = try Fixture()
        let shell = try fixture.run(
            ["/bin/sh", "-c", "ls / >/dev/null && cat /etc/os-release | grep -c ID= >/dev/null && mkdir -p /tmp/corral-sc.$$ "
                + "&& echo hi >/tmp/corral-sc.$$/f && sort /tmp/corral-sc.$$/f && rm -r /tmp/corral-sc.$$ && date >/dev/null"],
            filtered: true)
        #expect(shell.status == 0 && shell.output == "hi\n", "\(shell)")

        let script = """
            import hashlib, json, socket, ssl, subprocess, tempfile, threading, multiprocessing
            t = threading.Thread(target=lambda: None); t.start(); t.join()
            out = subprocess.run(["/bin/echo", "sub"], capture_output=True, text=True).stdout.strip()
            a, b = socket.socketpair(); a.sendall(b"x"); assert b.recv(1) == b"x"
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); s.close()
            q = multiprocessing.Queue(); w = multiprocessing.Process(target=q.put, args=(7,)); w.start()
            assert q.get(timeout=20) == 7; w.join(20); assert w.exitcode == 0
            ssl.create_default_context()
            print(out, hashlib.sha256(b"").hexdigest()[:8])
            """
        let python = try fixture.run([Self.python, "-c", script], filtered: true)
        #expect(python.status == 0 && python.output == "sub e3b0c442\n", "\(python)")

        if FileManager.default.isExecutableFile(atPath: "/usr/bin/node") {
            let js = """
                const cp = require('child_process'); const fs = require('fs'); const os = require('os');
                const f = os.tmpdir() + '/corral-sc-' + process.pid; fs.writeFileSync(f, 'x'); fs.unlinkSync(f);
                const out = cp.execFileSync('/bin/echo', ['sub']).toString().trim();
                require('http').createServer().listen(0, '127.0.0.1', function () {
                  this.close(); setTimeout(() => console.log(out, require('crypto').createHash('sha256').update('').digest('hex').slice(0, 8)), 10);
                });
                """
            let node = try fixture.run(["/usr/bin/node", "-e", js], filtered: true)
            #expect(node.status == 0 && node.output == "sub e3b0c442\n", "\(node)")
        }
    }
}
