import CorralCgroups
import CorralSandbox
import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// A long-lived launcher, as a server runs one: network namespaces and cgroups made ahead, mount plans
    /// reused, and clones handed to the spawn thread (the caller here is not the main thread).
    @Suite struct PooledLauncher {
        /// The memory and pids limits the kernel holds for `cgroup`, read from its control files.
        static func kernelLimits(_ cgroup: Cgroup) throws -> (memory: String, pids: String) {
            func read(_ path: String) throws -> String {
                try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let base = cgroup.host.root
            switch cgroup.host.version {
            case .v1:
                return (try read("\(base)/memory/\(cgroup.parent)/\(cgroup.name)/memory.limit_in_bytes"),
                        try read("\(base)/pids/\(cgroup.parent)/\(cgroup.name)/pids.max"))
            case .v2:
                return (try read("\(base)/\(cgroup.parent)/\(cgroup.name)/memory.max"),
                        try read("\(base)/\(cgroup.parent)/\(cgroup.name)/pids.max"))
            }
        }

        @Test("a pooled cgroup carries exactly each launch's limits, whether made ahead with them, given them, or replaced")
        func pooledLimits() throws {
            try privileged {
                var configuration = SandboxLauncher.Configuration()
                configuration.prefilledPool = 2
                let launcher = try SandboxLauncher(configuration: configuration)
                defer { launcher.shutdown() }
                let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
                defer { close(devNull) }
                let unlimitedMemory = launcher.cgroupHost.version == .v1 ? "9223372036854771712" : "max"
                // Repeats let the pool refill with the latest limits; the changes make it hand out groups
                // written for other limits (the oracle: a stale pids limit would show after the third).
                let sequence: [(memory: UInt64?, pids: Int?)] = [
                    (32 << 20, 16), (32 << 20, 16), (32 << 20, 16), (64 << 20, nil), (64 << 20, nil), (nil, 24), (nil, nil),
                ]
                for (index, limits) in sequence.enumerated() {
                    let spec = SandboxSpec(argv: ["/bin/true"],
                                           limits: ResourceLimits(memoryBytes: limits.memory, cpus: nil, pids: limits.pids))
                    let process = try launcher.launch(spec, stdio: SandboxStdio(stdin: devNull, stdout: devNull, stderr: devNull))
                    let held = try Self.kernelLimits(process.cgroup)
                    let report = process.waitForExit()
                    #expect(report.exitCode == 0, "launch \(index): \(report)")
                    #expect(held.memory == limits.memory.map(String.init) ?? unlimitedMemory, "launch \(index)")
                    #expect(held.pids == limits.pids.map(String.init) ?? "max", "launch \(index)")
                    usleep(50_000) // the pool refills in the background after each launch
                }
            }
        }

        @Test("a cached mount plan still gives each launch its own binds and host name")
        func cachedPlans() throws {
            try privileged {
                var configuration = SandboxLauncher.Configuration()
                configuration.prefilledPool = 1
                let launcher = try SandboxLauncher(configuration: configuration)
                defer { launcher.shutdown() }
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-plan-\(getpid())").path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                try "bound\n".write(toFile: directory + "/marker", atomically: true, encoding: .utf8)
                let probe = "cat /etc/hostname; cat /data/marker 2>/dev/null || echo unbound"
                let runs: [(hostname: String, bind: Bool, expected: String)] = [
                    ("alpha", true, "alpha\nbound\n"), ("alpha", true, "alpha\nbound\n"),
                    ("alpha", false, "alpha\nunbound\n"), ("beta", true, "beta\nbound\n"),
                ]
                for run in runs {
                    let binds = run.bind ? [BindMount(source: directory, destination: "/data", readOnly: true)] : []
                    let spec = SandboxSpec(argv: ["/bin/sh", "-c", probe], binds: binds, hostname: run.hostname)
                    let result = try InProcess.run(spec, launcher: launcher)
                    #expect(result.exitCode == 0)
                    #expect(result.stdout == run.expected, "hostname \(run.hostname), bind \(run.bind)")
                }
            }
        }
    }
}
