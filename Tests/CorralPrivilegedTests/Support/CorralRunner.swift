import Foundation
import Glibc
import Testing

/// `corral run --report-json` output.
struct RunReport: Decodable {
    var exitCode: Int32
    var signal: Int32?
    var timedOut: Bool
    var oomKilled: Bool
    var durationMs: Double
    var maxMemoryBytes: UInt64?
    var cpuTimeMs: Double?
}

/// How a process ended, what it wrote, and (for `corral run`) its JSON report.
struct RunResult: CustomStringConvertible {
    /// The exit status, or 128+N when signal N killed the process itself.
    var status: Int32
    var stdout: String
    var stderr: String
    var report: RunReport?

    /// `key=value` lines of stdout (later keys win).
    var values: [String: String] {
        var result: [String: String] = [:]
        for line in stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            result[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return result
    }

    var description: String {
        "status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)---"
    }
}

/// A started process whose stdout and stderr go to temporary files (no pipe can fill and block it). Started
/// with posix_spawn and reaped with waitpid, not Foundation's Process: in a minimal VM Process can miss the
/// child's exit, and a raw pid we reap ourselves is never signalled after it is reaped.
final class Started {
    let pid: Int32
    let directory: String
    let argv: [String]
    private var finished: Int32?
    var stdoutPath: String { directory + "/stdout" }
    var stderrPath: String { directory + "/stderr" }
    var reportPath: String { directory + "/report.json" }

    /// Starts `argv` (an absolute path first) with stdin from /dev/null, a clean signal mask and default
    /// signal dispositions.
    init(_ argv: [String], reportJSON: Bool = false) throws {
        var template = Array("/tmp/corral-privtest-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        var arguments = argv
        if reportJSON { arguments.insert(contentsOf: ["--report-json", directory + "/report.json"], at: 2) }
        self.argv = arguments

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArgs { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, arguments[0], &actions, &attributes, &cArgs, environ)
        guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO) }
        self.pid = pid
    }

    func stdoutSoFar() -> String {
        (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
    }

    /// Reaps the process if it has exited; its raw wait status then.
    private func poll(blocking: Bool) -> Int32? {
        if let finished { return finished }
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if r == pid {
                finished = status
                return status
            }
            if r == -1 && errno == EINTR { continue }
            return nil
        }
    }

    /// Waits up to `seconds` (then SIGKILLs it and records an issue) and collects the result.
    func wait(upTo seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
        if !Residue.eventually(within: seconds, { poll(blocking: false) != nil }) {
            Issue.record("still running after \(seconds) s: \(argv); killed", sourceLocation: sourceLocation)
            kill(pid, SIGKILL)
        }
        let raw = poll(blocking: true) ?? 0
        let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        let report = FileManager.default.contents(atPath: reportPath).flatMap { try? JSONDecoder().decode(RunReport.self, from: $0) }
        let result = RunResult(status: status, stdout: stdoutSoFar(),
                               stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "", report: report)
        try? FileManager.default.removeItem(atPath: directory)
        return result
    }

    deinit {
        if finished == nil {
            kill(pid, SIGKILL)
            _ = poll(blocking: true)
        }
    }
}

/// The real `corral` binary and the ways the tests start it.
enum Corral {
    /// `corral` next to the test bundle (.build/debug/corral), or $CORRAL_BIN.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["CORRAL_BIN"] { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("corral").path
    }()

    /// The host's Debian python, the one the sandbox's read-only /usr shows.
    static let python = "/usr/bin/python3"

    /// Starts `corral run OPTIONS -- COMMAND` with a JSON report.
    static func start(_ options: [String] = [], _ command: [String]) throws -> Started {
        try Started([binary, "run"] + options + ["--"] + command, reportJSON: true)
    }

    /// Runs `corral run OPTIONS -- COMMAND` to the end.
    static func run(_ options: [String] = [], _ command: [String], upTo seconds: Double = 60,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        try start(options, command).wait(upTo: seconds, sourceLocation: sourceLocation)
    }

    /// Runs a python script in the sandbox.
    static func python(_ options: [String] = [], _ script: String, _ args: [String] = [], upTo seconds: Double = 60,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        try run(options, [python, "-c", script] + args, upTo: seconds, sourceLocation: sourceLocation)
    }

    /// Runs `corral` with arbitrary arguments (no report), e.g. to test option errors.
    static func raw(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        try Started([binary] + arguments).wait(sourceLocation: sourceLocation)
    }
}

/// The oracle side: the same probes, unsandboxed, as children of the test process.
enum Host {
    static func run(_ argv: [String], upTo seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        try Started(argv).wait(upTo: seconds, sourceLocation: sourceLocation)
    }

    static func python(_ script: String, _ args: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        try run([Corral.python, "-c", script] + args, sourceLocation: sourceLocation)
    }

    /// A field of the test process's own /proc/self/status ("CapEff" -> "000001ffffffffff").
    static func ownStatus(_ field: String) -> String? {
        let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return Probe.statusFields(text)[field]
    }
}

/// Parsing shared by the sandboxed probes and their oracles.
enum Probe {
    /// "Name:\tvalue" lines to [Name: value] (value trimmed).
    static func statusFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// Collapses runs of whitespace: "         0     100000          1" -> "0 100000 1".
    static func words(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
