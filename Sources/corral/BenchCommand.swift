import ArgumentParser
import CorralSandbox
import CorralSeccomp
import CorralSystem
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Corral against baselines in the same run.",
        subcommands: [BenchSpawnCommand.self, BenchInvokeCommand.self]
    )
}

struct BenchSpawnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spawn",
        abstract: "Time from spawn request to a sandboxed /bin/true exiting, against bubblewrap and plain fork+exec.",
        discussion: """
        Corral runs /bin/true with the full isolation of `corral run` (all seven namespaces, a cgroup with
        memory, cpu and pids limits, the host root of read-only binds with /proc masked, the default seccomp
        profile, no capabilities), measured in-process from launch request to the end of the last process,
        twice: with network and IPC namespaces and cgroups made ahead, as a server runs, and without. Both
        are born in a root namespace (the root built and pivoted into once), and the first with the seccomp
        profile split between the cloning thread and the sandbox. In the same loop, interleaved so noise
        hits all alike, it times `bwrap --unshare-all --die-with-parent` with read-only /usr binds (when
        bubblewrap is installed), and posix_spawn of /bin/true with no isolation (the clone+exec floor).
        Reports p50 and p99 in milliseconds, and corral/bwrap as a ratio. Measure the `make release` build.
        """
    )

    @Option(help: "Measured runs of each (after 10 warm-up runs).")
    var runs: Int = 200

    @Flag(help: "Print one JSON object: {\"corral\": {\"p50Ms\", \"p99Ms\"}, \"bwrap\": {...} or null, \"floor\": {...}, \"ratio\"}.")
    var json = false

    @Flag(help: "Also print the median time of each launch phase (clone, id maps, root, seccomp, fork, exec).")
    var trace = false

    mutating func validate() throws {
        guard runs >= 10 else { throw ValidationError("--runs must be at least 10") }
    }

    func run() throws {
        let launcher: SandboxLauncher, unpooled: SandboxLauncher
        do {
            var configuration = SandboxLauncher.Configuration()
            configuration.traceSpawn = trace
            // The main thread only launches here: it carries the profile's outer filter, as a server's spawn
            // thread does. The baselines run on a thread started before it takes it.
            configuration.mainThreadCarriesFilter = true
            unpooled = try SandboxLauncher(configuration: configuration)
            configuration.prefilledPool = 4
            launcher = try SandboxLauncher(configuration: configuration)
        } catch {
            printError("corral: \(error)")
            throw ExitCode(125)
        }
        defer { launcher.shutdown() }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        var spec = SandboxSpec(argv: ["/bin/true"])
        spec.seccomp = try SeccompProfile.named("default", configDirectory: ConfigPaths.seccompDirectory)
        let bwrap = ["/usr/bin/bwrap", "/bin/bwrap"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let bwrapArgs = bwrap.map { [$0] + Self.bwrapArguments() + ["/bin/true"] }

        // The baselines (bwrap, bare posix_spawn) run on a thread started before the main thread takes a
        // seccomp filter (SpawnThread): a process started from a thread inherits its filter, and the
        // baselines must run as they would anywhere else. Each is timed on that thread, so the hand-over is
        // not measured.
        let baselines = DedicatedThread(name: "corral-baseline")
        var corral: [Double] = [], corralUnpooled: [Double] = [], bwrapTimes: [Double] = [], floor: [Double] = []
        var phases: [SpawnTrace.Phase: [Double]] = [:]
        for i in 0..<(runs + 10) {
            let measured = i >= 10
            let (c, spawnTrace) = try timeCorral(launcher, spec, devNull)
            if measured {
                corral.append(c)
                for (phase, ms) in spawnTrace?.durations ?? [] { phases[phase, default: []].append(ms) }
            }
            let (u, _) = try timeCorral(unpooled, spec, devNull)
            if measured { corralUnpooled.append(u) }
            if let bwrapArgs {
                let b = try baselines.run { try self.timeProcess(bwrapArgs, devNull) }
                if measured { bwrapTimes.append(b) }
            }
            let f = try baselines.run { try self.timeProcess(["/bin/true"], devNull) }
            if measured { floor.append(f) }
        }
        let result = BenchSpawnResult(corral: Percentiles(corral), corralUnpooled: Percentiles(corralUnpooled), bwrap: bwrapArgs == nil ? nil : Percentiles(bwrapTimes),
                                      floor: Percentiles(floor), runs: runs)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(String(format: "corral  p50 %.2f ms  p99 %.2f ms   (full sandbox, network namespaces and cgroups made ahead, %d runs)", result.corral.p50Ms, result.corral.p99Ms, runs))
            print(String(format: "        p50 %.2f ms  p99 %.2f ms   (the same, each network namespace and cgroup made during its launch)", result.corralUnpooled.p50Ms, result.corralUnpooled.p99Ms))
            if let b = result.bwrap {
                print(String(format: "bwrap   p50 %.2f ms  p99 %.2f ms   (--unshare-all --die-with-parent)", b.p50Ms, b.p99Ms))
                print(String(format: "ratio   corral/bwrap p50 = %.2f", result.ratio ?? 0))
            } else {
                print("bwrap   not installed (apt-get install bubblewrap)")
            }
            print(String(format: "floor   p50 %.2f ms  p99 %.2f ms   (posix_spawn /bin/true, no isolation)", result.floor.p50Ms, result.floor.p99Ms))
        }
        if trace {
            // To stderr, so --json output stays one object.
            printError("corral launch phases (ms, each since the previous one):  p50     p90    mean")
            for phase in SpawnTrace.Phase.allCases where phases[phase] != nil {
                let samples = phases[phase]!
                let sorted = samples.sorted()
                printError("  " + phase.label.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: " %7.3f %7.3f %7.3f", Percentiles(samples).p50Ms,
                                  sorted[sorted.count * 9 / 10], samples.reduce(0, +) / Double(samples.count)))
            }
        }
    }

    static func bwrapArguments() -> [String] {
        var args = ["--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr"]
        for name in ["bin", "sbin", "lib", "lib64"] {
            let path = "/" + name
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                args += ["--symlink", target, path]
            } else if FileManager.default.fileExists(atPath: path) {
                args += ["--ro-bind", path, path]
            }
        }
        return args + ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    }

    private func timeCorral(_ launcher: SandboxLauncher, _ spec: SandboxSpec, _ devNull: Int32) throws -> (Double, SpawnTrace?) {
        let process = try launcher.launch(spec, stdio: SandboxStdio(stdin: devNull, stdout: devNull, stderr: devNull))
        // From the launch request to the moment the sandbox's last process was seen to exit; the cgroup's
        // removal afterwards is cleanup, not latency (a server does it off the request path).
        let report = process.waitForExit()
        guard report.exitCode == 0 else {
            printError("corral: the sandboxed /bin/true exited \(report.exitCode)")
            throw ExitCode(1)
        }
        return (report.durationMs, process.spawnTrace)
    }

    private func timeProcess(_ argv: [String], _ devNull: Int32) throws -> Double {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in Int32(0)...2 { posix_spawn_file_actions_adddup2(&actions, devNull, fd) }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let t0 = MonotonicClock.now()
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else {
            printError("corral: cannot start \(argv[0]): \(String(cString: strerror(rc)))")
            throw ExitCode(1)
        }
        var status: Int32 = 0
        _ = try? syscall("waitpid") { waitpid(pid, &status, 0) }
        let t1 = MonotonicClock.now()
        guard status == 0 else {
            printError("corral: \(argv.joined(separator: " ")) exited with status \(status)")
            throw ExitCode(1)
        }
        return Double(t1 - t0) / 1_000_000
    }
}

struct Percentiles: Codable {
    var p50Ms: Double
    var p99Ms: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        func rank(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        p50Ms = rank(0.50)
        p99Ms = rank(0.99)
    }
}

struct BenchSpawnResult: Encodable {
    var corral: Percentiles
    var corralUnpooled: Percentiles
    var bwrap: Percentiles?
    var floor: Percentiles
    var runs: Int
    var ratio: Double? { bwrap.map { corral.p50Ms / $0.p50Ms } }

    enum CodingKeys: String, CodingKey { case corral, corralUnpooled, bwrap, floor, ratio, runs }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(corral, forKey: .corral)
        try c.encode(corralUnpooled, forKey: .corralUnpooled)
        if let bwrap { try c.encode(bwrap, forKey: .bwrap) } else { try c.encodeNil(forKey: .bwrap) }
        try c.encode(floor, forKey: .floor)
        if let ratio { try c.encode(ratio, forKey: .ratio) } else { try c.encodeNil(forKey: .ratio) }
        try c.encode(runs, forKey: .runs)
    }
}
