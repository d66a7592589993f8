import Foundation
import Testing

/// The real `corral` binary, run to the end with its output captured.
enum CorralBinary {
    /// `corral` next to the test bundle (.build/debug/corral), or $CORRAL_BIN.
    static let path: String = {
        if let path = ProcessInfo.processInfo.environment["CORRAL_BIN"] { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("corral").path
    }()

    /// What a run gave.
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// Runs `corral ARGUMENTS` in `directory` and waits for it.
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Missing(description: "no corral binary at \(path) (swift build builds it; or set CORRAL_BIN)")
        }
        // Output goes to files, read after the exit: no pipe can fill up and block the child.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("corral-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        for url in [outURL, errURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }
}

/// A scratch directory of policy files, removed with `remove()`.
struct PolicyFiles {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes `text` to NAME in the directory; returns NAME (the commands run in the directory).
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return name
    }

    /// `corral policy simulate ARGUMENTS`, run in the directory.
    func simulate(_ arguments: [String]) throws -> CorralBinary.Result {
        try CorralBinary.run(["policy", "simulate"] + arguments, in: directory)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
