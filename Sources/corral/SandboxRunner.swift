import ArgumentParser
import CorralSandbox
import Dispatch
import Foundation

/// Runs a spec with this process's stdio: stdout and stderr are relayed through pipes (a sandbox never
/// gets the terminal: no TIOCSTI, no escape sequences straight to the tty), stdin is passed when it is not
/// a terminal. The first SIGINT or SIGTERM is forwarded to the command (through the sandbox's init); a
/// second one kills the whole sandbox. Either way the cgroup is removed before corral exits.
enum SandboxRunner {
    static func run(_ spec: SandboxSpec, launcher: SandboxLauncher) throws -> SandboxReport {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0, pipe(&err) == 0 else {
            printError("corral: cannot create output pipes")
            throw ExitCode(125)
        }
        let stdinFD: Int32 = isatty(0) == 1 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : 0
        defer { if stdinFD != 0 { close(stdinFD) } }
        for fd in [out[0], err[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        // Listen before launching: a signal that arrives while the sandbox starts is held, then applied.
        let relay = SignalRelay()
        let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { relay.deliver(sig) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        let process: SandboxProcess
        do {
            process = try launcher.launch(spec, stdio: SandboxStdio(stdin: stdinFD, stdout: out[1], stderr: err[1]))
        } catch {
            close(out[0]); close(out[1]); close(err[0]); close(err[1])
            printError("corral: \(error)")
            // A spec refused once the host was consulted (a bind through a symlink, a missing source) is
            // still a bad option: 2, like the ones refused before.
            if case .invalidSpec = error { throw ExitCode(2) }
            throw ExitCode(125)
        }
        close(out[1])
        close(err[1])
        relay.attach(process)
        let report = process.waitForExit(relaying: [(out[0], 1), (err[0], 2)])
        close(out[0])
        close(err[0])
        return report
    }
}

/// Passes corral's SIGINT and SIGTERM to the sandbox: the first is forwarded to the command, a second
/// kills the sandbox. Signals that arrive before the sandbox exists are held until `attach`.
final class SignalRelay: @unchecked Sendable {
    private let lock = NSLock()
    private var process: SandboxProcess?
    private var received: [Int32] = []

    func deliver(_ signal: Int32) {
        lock.lock()
        received.append(signal)
        let count = received.count
        let target = process
        lock.unlock()
        if let target { Self.apply(signal, count: count, to: target) }
    }

    func attach(_ process: SandboxProcess) {
        lock.lock()
        self.process = process
        let pending = received
        lock.unlock()
        for (index, signal) in pending.enumerated() { Self.apply(signal, count: index + 1, to: process) }
    }

    private static func apply(_ signal: Int32, count: Int, to process: SandboxProcess) {
        if count == 1 { process.signal(signal) } else { process.kill() }
    }
}

enum ReportFormatter {
    static func summary(_ r: SandboxReport) -> String {
        var parts = ["exit \(r.conventionalExitCode)", String(format: "%.1f ms", r.durationMs)]
        if let m = r.maxMemoryBytes { parts.append(String(format: "max memory %.1f MiB", Double(m) / 1_048_576)) }
        if let c = r.cpuTimeMs { parts.append(String(format: "cpu %.1f ms", c)) }
        if r.timedOut { parts.append("timed out") }
        if r.oomKilled { parts.append("out of memory") }
        return "corral: " + parts.joined(separator: ", ")
    }

    static func json(_ r: SandboxReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(r)
        data.append(0x0a)
        return data
    }
}

/// Where the installed configuration lives: $CORRAL_CONFIG_DIR, else config/ next to the source tree the
/// binary was built from, else /etc/corral.
enum ConfigPaths {
    static var configDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["CORRAL_CONFIG_DIR"] { return dir }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // .build/<config>/corral -> the package root
        let packageRoot = exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidate = packageRoot.appendingPathComponent("config").path
        if FileManager.default.fileExists(atPath: candidate + "/seccomp") { return candidate }
        return "/etc/corral"
    }

    static var seccompDirectory: String { configDirectory + "/seccomp" }
}
