import CorralFunctions
import Foundation

/// The runtimes this host can run, found once at startup: python3.N for each /usr/bin/python3.N, nodejsN.x
/// for /usr/bin/node's major version, and the `provided` family (the package brings its own bootstrap).
public struct RuntimeCatalog: Sendable {
    /// Identifier -> the command that starts the runtime in the sandbox.
    public let commands: [String: [String]]

    public init(commands: [String: [String]]) {
        self.commands = commands
    }

    public var identifiers: [String] { commands.keys.sorted() }

    /// Looks at `binDirectory` (default /usr/bin: what the sandbox's host root binds).
    public static func detect(binDirectory: String = "/usr/bin") -> RuntimeCatalog {
        var commands: [String: [String]] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: binDirectory)) ?? []
        for name in names where name.hasPrefix("python3.") {
            guard case .python? = RuntimeName(name), FileManager.default.isExecutableFile(atPath: binDirectory + "/" + name) else { continue }
            commands[name] = [binDirectory + "/" + name, "/var/runtime/bootstrap.py"]
        }
        if let major = nodeMajorVersion(binDirectory + "/node") {
            commands["nodejs\(major).x"] = [binDirectory + "/node", "/var/runtime/bootstrap.js"]
        }
        for provided in ["provided", "provided.al2", "provided.al2023"] {
            commands[provided] = ["/var/task/bootstrap"]
        }
        return RuntimeCatalog(commands: commands)
    }

    /// Host interpreters of the python3.N runtimes, by identifier (what Bootstraps.install compiles with).
    public var pythonInterpreters: [String: String] {
        commands.filter { $0.key.hasPrefix("python3.") && $0.value.last == "/var/runtime/bootstrap.py" }.mapValues { $0[0] }
    }

    /// The same catalog, with each Python runtime started from its compiled bootstrap in `directory`
    /// (Bootstraps.install's result) where there is one.
    public func usingCompiledBootstraps(in directory: String) -> RuntimeCatalog {
        var commands = self.commands
        for (name, interpreter) in pythonInterpreters {
            let file = Bootstraps.compiledName(name)
            if FileManager.default.fileExists(atPath: directory + "/" + file) {
                commands[name] = [interpreter, "/var/runtime/" + file]
            }
        }
        return RuntimeCatalog(commands: commands)
    }

    /// `node --version` ("v20.20.2") -> 20.
    static func nodeMajorVersion(_ node: String) -> Int? {
        guard FileManager.default.isExecutableFile(atPath: node) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: node)
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("v"), let major = Int(text.dropFirst().prefix { $0 != "." }) else { return nil }
        return major
    }
}
