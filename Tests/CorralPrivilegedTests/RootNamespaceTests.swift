import CorralSandbox
import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// Sandboxes are born in a mount namespace built once per root (RootNamespace): it must hold nothing but
    /// the root, the procfs under each sandbox's own must list no process, and the cloning threads must come
    /// back to the host's namespace and their own working directory.
    @Suite struct RootNamespaces {
        /// Runs `body` with a sandbox that sleeps, started by a default launcher; `pid` is its init.
        static func withSleepingSandbox(_ body: (_ pid: Int32) throws -> Void) throws {
            let launcher = try SandboxLauncher()
            defer { launcher.shutdown() }
            let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(devNull) }
            let process = try launcher.launch(SandboxSpec(argv: ["/bin/sleep", "30"]),
                                              stdio: SandboxStdio(stdin: devNull, stdout: devNull, stderr: devNull))
            defer {
                process.kill()
                _ = process.waitForExit()
            }
            try body(process.pid)
        }

        /// What a process of the sandbox sees at /proc, then what it would find there had it been able to
        /// unmount its own procfs (the host's root enters the sandbox's mount namespace and does it).
        static let probe = "ls /proc | tr '\\n' ' '; echo; umount -l /proc && ls /proc | tr '\\n' ' '"

        @Test("the procfs under a sandbox's own lists no process: not the host's, not another sandbox's")
        func procUnderneathIsEmpty() throws {
            try privileged {
                try Self.withSleepingSandbox { pid in
                    // Entering its pid namespace too, so that umount finds /proc/self in the sandbox's procfs.
                    let result = try Host.run(["/usr/bin/nsenter", "--mount=/proc/\(pid)/ns/mnt", "--pid=/proc/\(pid)/ns/pid", "--",
                                               "/bin/sh", "-c", Self.probe])
                    #expect(result.status == 0, "\(result)")
                    let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                    #expect(lines.count == 2, "\(result)")
                    guard lines.count == 2 else { return }
                    // Oracle: the sandbox's own /proc lists its processes (the init, sleep, and the probe's)...
                    #expect(lines[0].contains("1") && lines[0].contains("2"), "\(result)")
                    // ...and the one beneath lists none, while it is still a procfs (it has meminfo).
                    #expect(lines[1].contains("meminfo"), "\(result)")
                    #expect(lines[1].filter { Int($0) != nil }.isEmpty, "\(result)")
                }
            }
        }

        @Test("a sandbox's mount table holds its root and its own mounts, nothing of the host's tree")
        func mountTableHoldsOnlyTheRoot() throws {
            try privileged {
                try Self.withSleepingSandbox { pid in
                    let mountinfo = try String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8)
                    let points = mountinfo.split(separator: "\n").map { $0.split(separator: " ")[4] }.map(String.init)
                    let expected: Set<String> = ["/", "/usr", "/proc", "/tmp", "/dev/shm"]
                    #expect(expected.isSubset(of: Set(points)), "\(points)")
                    let allowedPrefixes = ["/usr", "/etc/", "/dev/", "/proc", "/tmp", "/lib", "/bin", "/sbin"]
                    let strays = points.filter { point in point != "/" && !allowedPrefixes.contains { point.hasPrefix($0) } }
                    #expect(strays.isEmpty, "\(strays)")
                    // Oracle: the host's own table has mounts outside those places (/run at least).
                    let host = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
                    let hostPoints = host.split(separator: "\n").map { String($0.split(separator: " ")[4]) }
                    #expect(hostPoints.contains { point in point != "/" && !allowedPrefixes.contains { point.hasPrefix($0) } }, "\(hostPoints)")
                }
            }
        }

        @Test("every thread of the supervisor is back in the host's mount namespace and working directory")
        func threadsComeBack() throws {
            try privileged {
                func states() throws -> Set<String> {
                    let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
                    return Set(tasks.compactMap { tid in
                        guard let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/task/\(tid)/ns/mnt"),
                              let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/task/\(tid)/cwd") else { return nil }
                        return ns + " " + cwd
                    })
                }
                let before = try states()
                #expect(before.count == 1, "\(before)")
                try Self.withSleepingSandbox { pid in
                    let sandbox = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")
                    // Oracle: the probe tells namespaces apart (the sandbox's is another one).
                    #expect(!before.contains { $0.hasPrefix(sandbox + " ") })
                }
                #expect(try states() == before)
            }
        }
    }
}

extension PrivilegedSandboxTests {
    /// The sandbox's init is a copy of the supervisor: a handler it copied must never run there, and a signal
    /// the supervisor ignores must not stay ignored in the command (SIG_IGN survives execve).
    @Suite struct SignalDispositions {
        @Test("the init keeps only its own handlers and the command inherits no ignored signal")
        func dispositionsAreReset() throws {
            try privileged {
                // The supervisor (this process) ignores SIGUSR2 and handles SIGALRM for the test's duration.
                let oldUSR2 = signal(SIGUSR2, SIG_IGN)
                let oldALRM = signal(SIGALRM, { _ in })
                defer {
                    signal(SIGUSR2, oldUSR2)
                    signal(SIGALRM, oldALRM)
                }
                let launcher = try SandboxLauncher()
                defer { launcher.shutdown() }
                let script = "grep -E '^Sig(Ign|Cgt)' /proc/self/status /proc/1/status"
                let result = try InProcess.run(SandboxSpec(argv: ["/bin/sh", "-c", script]), launcher: launcher)
                #expect(result.exitCode == 0)
                var masks: [String: UInt64] = [:]
                for line in result.stdout.split(separator: "\n") {
                    // "/proc/1/status:SigCgt:\t0000000000004a07"
                    let parts = line.split(separator: ":")
                    guard parts.count == 3 else { continue }
                    masks[parts[0] + ":" + parts[1]] = UInt64(parts[2].trimmingCharacters(in: .whitespaces), radix: 16)
                }
                let usr2: UInt64 = 1 << (UInt64(SIGUSR2) - 1), alrm: UInt64 = 1 << (UInt64(SIGALRM) - 1)
                let forwarded = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH]
                    .reduce(UInt64(0)) { $0 | (1 << (UInt64($1) - 1)) }
                // /bin/sh may ignore or catch a few signals itself; SIGUSR2 is none of them.
                #expect(masks["/proc/self/status:SigIgn"].map { $0 & usr2 == 0 } == true, "\(masks)")
                #expect(masks["/proc/1/status:SigIgn"] == 0, "\(masks)")
                #expect(masks["/proc/1/status:SigCgt"] == forwarded, "\(masks.mapValues { String($0, radix: 16) })")
                // Oracle: this process really ignores SIGUSR2 and catches SIGALRM, as the probe reads them.
                let own = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
                let ownMasks = Probe.statusFields(own)
                #expect(ownMasks["SigIgn"].flatMap { UInt64($0, radix: 16) }.map { $0 & usr2 != 0 } == true, "\(own)")
                #expect(ownMasks["SigCgt"].flatMap { UInt64($0, radix: 16) }.map { $0 & alrm != 0 } == true, "\(own)")
            }
        }
    }
}

extension PrivilegedSandboxTests.RootNamespaces {
    @Test("without root namespaces a launch binds its root and pivots into it, with the same view inside")
    func perLaunchPivotStillWorks() throws {
        try privileged {
            var configuration = SandboxLauncher.Configuration()
            configuration.rootNamespaces = false
            let launcher = try SandboxLauncher(configuration: configuration)
            defer { launcher.shutdown() }
            let script = "cut -d' ' -f5 /proc/self/mountinfo | tr '\\n' ' '; echo; ls /proc | grep -c '^[0-9]'; touch /x 2>&1 | grep -c 'Read-only'"
            let result = try InProcess.run(SandboxSpec(argv: ["/bin/sh", "-c", script]), launcher: launcher)
            #expect(result.exitCode == 0)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(lines)")
            guard lines.count == 3 else { return }
            let points = lines[0].split(separator: " ").map(String.init)
            // One procfs (its own: no empty one beneath), the system binds made by this launch, a read-only root.
            #expect(points.filter { $0 == "/proc" }.count == 1, "\(points)")
            #expect(points.contains("/usr") && points.contains("/tmp") && points.first == "/", "\(points)")
            #expect(Int(lines[1]).map { $0 >= 2 } == true, "\(lines)")
            #expect(lines[2] == "1", "\(lines)")
        }
    }
}
