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

/// A started process whose stdout and stderr go to temporary files (no pipe can fill and block it).
final class Started {
    let process = Process()
    let directory: String
    var pid: Int32 { process.processIdentifier }
    var stdoutPath: String { directory + "/stdout" }
    var stderrPath: String { directory + "/stderr" }
    var reportPath: String { directory + "/report.json" }

    init(_ argv: [String], reportJSON: Bool = false) throws {
        var template = Array("/tmp/corral-privtest-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        FileManager.default.createFile(atPath: directory + "/stdout", contents: nil)
        FileManager.default.createFile(atPath: directory + "/stderr", contents: nil)
        process.executableURL = URL(fileURLWithPath: argv[0])
        var arguments = Array(argv.dropFirst())
        if reportJSON { arguments.insert(contentsOf: ["--report-json", directory + "/report.json"], at: 1) }
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: directory + "/stdout")
        process.standardError = FileHandle(forWritingAtPath: directory + "/stderr")
        try process.run()
    }

    func stdoutSoFar() -> String {
        (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
    }

    /// Waits up to `seconds` (then SIGKILLs it and records an issue) and collects the result.
    func wait(upTo seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
        if !Residue.eventually(within: seconds, { !process.isRunning }) {
            Issue.record("still running after \(seconds) s: \(process.arguments ?? []); killed", sourceLocation: sourceLocation)
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        let report = FileManager.default.contents(atPath: reportPath).flatMap { try? JSONDecoder().decode(RunReport.self, from: $0) }
        let result = RunResult(status: status, stdout: stdoutSoFar(),
                               stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "", report: report)
        try? FileManager.default.removeItem(atPath: directory)
        return result
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
