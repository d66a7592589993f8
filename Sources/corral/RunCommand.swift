import ArgumentParser
import CorralSandbox
import CorralSeccomp
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one command in a fresh sandbox.",
        discussion: """
        The command runs as root inside new user, pid, mount, network, ipc, uts and cgroup namespaces; root inside maps to an unprivileged host uid. It sees a read-only root (the host's /usr, /bin, /lib* and a minimal /etc by default), a private /tmp and /dev/shm, only the loopback interface, no capabilities, and a seccomp filter. Its stdout and stderr are streamed.

        Exit status: the command's own; 128+N when signal N killed it; 124 on timeout; 137 when it ran out of memory; 125 when the sandbox could not start (the failing step is named); 2 for bad options. The first SIGINT or SIGTERM is passed on to the command, a second kills the sandbox.

        Sizes take K, M or G suffixes (binary); durations take ms, s, m or h (plain numbers are seconds).

        Examples:
          corral run -- /usr/bin/python3 -c 'print("hello")'
          corral run --memory 64M -- /usr/bin/python3 -c 'b = bytearray(1 << 30)'
          corral run --bind /srv/data:/data:ro --report -- ls /data
        """
    )

    @Option(help: ArgumentHelp("Memory limit (swap disabled); includes what /tmp holds.", valueName: "size"))
    var memory: String = "128M"

    @Option(help: ArgumentHelp("CPU quota in CPUs, e.g. 0.5.", valueName: "cpus"))
    var cpus: Double = 1

    @Option(help: ArgumentHelp("Maximum processes and threads.", valueName: "n"))
    var pids: Int = 128

    @Option(help: ArgumentHelp("Wall-clock limit; the whole process tree is killed when it runs out (default: none).", valueName: "duration"))
    var timeout: String?

    @Option(name: .customLong("tmp-size"), help: ArgumentHelp("Size of the /tmp tmpfs.", valueName: "size"))
    var tmpSize: String = "64M"

    @Option(help: ArgumentHelp("Maximum open files (RLIMIT_NOFILE).", valueName: "n"))
    var nofile: UInt64 = 1024

    @Option(help: ArgumentHelp("Root filesystem: 'host' (read-only binds of the host's system directories) or the path of a complete root directory.", valueName: "host|path"))
    var rootfs: String = "host"

    @Option(parsing: .singleValue, help: ArgumentHelp("Bind a host path into the sandbox (read-only unless :rw). Repeatable.", valueName: "src:dst[:ro|:rw]"))
    var bind: [String] = []

    @Option(parsing: .singleValue, help: ArgumentHelp("Set an environment variable. Repeatable.", valueName: "key=value"))
    var env: [String] = []

    @Option(help: ArgumentHelp("Working directory inside the sandbox.", valueName: "dir"))
    var cwd: String = "/"

    @Option(help: ArgumentHelp("Host name inside the sandbox.", valueName: "name"))
    var hostname: String = "corral"

    @Option(help: ArgumentHelp("Seccomp profile: 'default' (built in) or the path of a profile file (see config/seccomp/README.md).", valueName: "default|path"))
    var seccomp: String = "default"

    @Option(name: .customLong("uid"), help: ArgumentHelp("Unprivileged host uid (and gid) that root in the sandbox maps to (default: the operator's block of the default id pool, outside /etc/passwd and /etc/subuid).", valueName: "id"))
    var hostUID: UInt32 = SandboxIdentity.operatorDefault

    @Option(name: .customLong("report-json"), help: ArgumentHelp("Write a JSON report (exitCode, signal, timedOut, oomKilled, durationMs, maxMemoryBytes, cpuTimeMs) to this file.", valueName: "path"))
    var reportJSON: String?

    @Flag(help: "Print a summary line (duration, peak memory, CPU time) to stderr.")
    var report = false

    @Argument(parsing: .remaining, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ValidationError("no command given: corral run [options] -- COMMAND [ARG...]") }
        _ = try makeSpec()
    }

    func makeSpec() throws -> SandboxSpec {
        func size(_ text: String, _ name: String) throws -> UInt64 {
            guard let v = Quantity.bytes(text) else { throw ValidationError("--\(name): '\(text)' is not a size (e.g. 64M, 1G)") }
            return v
        }
        var limits = ResourceLimits()
        limits.memoryBytes = try size(memory, "memory")
        limits.cpus = cpus
        limits.pids = pids
        limits.tmpBytes = try size(tmpSize, "tmp-size")
        limits.openFiles = nofile
        if let timeout {
            guard let ms = Quantity.milliseconds(timeout) else { throw ValidationError("--timeout: '\(timeout)' is not a duration (e.g. 3s, 500ms)") }
            limits.timeoutMilliseconds = ms
        }
        let profile: SeccompProfile
        do {
            profile = try SeccompProfile.named(seccomp, configDirectory: ConfigPaths.seccompDirectory)
        } catch {
            throw ValidationError("--seccomp: \(error)")
        }
        do throws(SandboxSpecError) {
            let spec = SandboxSpec(
                argv: command.first == "--" ? Array(command.dropFirst()) : command,
                environment: env,
                workingDirectory: cwd,
                rootFilesystem: try RootFilesystem(argument: rootfs),
                binds: try bind.map { arg throws(SandboxSpecError) in try BindMount(argument: arg) },
                limits: limits,
                seccomp: profile,
                hostname: hostname,
                identity: SandboxIdentity(hostUID: hostUID, hostGID: hostUID))
            try spec.validate()
            return spec
        } catch {
            throw ValidationError("--\(error.description)")
        }
    }

    func run() throws {
        let spec = try makeSpec()
        let launcher: SandboxLauncher
        do {
            launcher = try SandboxLauncher()
        } catch {
            printError("corral: \(error)")
            throw ExitCode(125)
        }
        let report = try SandboxRunner.run(spec, launcher: launcher)
        if self.report {
            printError(ReportFormatter.summary(report))
        }
        if let reportJSON {
            do {
                try ReportFormatter.json(report).write(to: URL(fileURLWithPath: reportJSON))
            } catch {
                printError("corral: cannot write the report to \(reportJSON): \(error.localizedDescription)")
            }
        }
        if report.oomKilled { printError("corral: out of memory: the command exceeded its \(memory) memory limit and was killed") }
        if report.timedOut { printError("corral: timed out after \(timeout ?? "?"): the whole process tree was killed") }
        throw ExitCode(report.conventionalExitCode)
    }
}
