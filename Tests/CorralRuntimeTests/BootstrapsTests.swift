@testable import CorralRuntime
import Foundation
import Testing

@Suite struct BootstrapsTests {
    static let runtimeDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../rootfs/runtime").standardized.path

    @Test("the embedded runtime clients are rootfs/runtime's files (run rootfs/runtime/embed.sh after editing them)")
    func embeddedMatchesSources() throws {
        #expect(Bootstraps.python + "\n" == (try String(contentsOfFile: Self.runtimeDirectory + "/bootstrap.py", encoding: .utf8)))
        #expect(Bootstraps.node + "\n" == (try String(contentsOfFile: Self.runtimeDirectory + "/bootstrap.js", encoding: .utf8)))
    }
}

@Suite struct CompiledBootstrapTests {
    @Test("the Python bootstrap is compiled per interpreter and the catalog starts the .pyc; a failed compile keeps the source")
    func compiledBootstrap() throws {
        let interpreter = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: interpreter) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI must have /usr/bin/python3") }
            return
        }
        let base = NSTemporaryDirectory() + "corral-bootstraps-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let pythons = ["python3.99": interpreter, "python3.98": "/bin/false"]
        let directory = try Bootstraps.install(under: base, pythons: pythons)
        let compiled = directory + "/" + Bootstraps.compiledName("python3.99")
        let bytes = try #require(FileManager.default.contents(atPath: compiled))
        #expect(bytes.count > 16)
        #expect(!FileManager.default.fileExists(atPath: directory + "/" + Bootstraps.compiledName("python3.98")))

        let catalog = RuntimeCatalog(commands: ["python3.99": [interpreter, "/var/runtime/bootstrap.py"],
                                                "python3.98": ["/bin/false", "/var/runtime/bootstrap.py"],
                                                "provided": ["/var/task/bootstrap"]])
        #expect(catalog.pythonInterpreters == pythons)
        let using = catalog.usingCompiledBootstraps(in: directory)
        #expect(using.commands["python3.99"] == [interpreter, "/var/runtime/bootstrap.python3.99.pyc"])
        #expect(using.commands["python3.98"] == ["/bin/false", "/var/runtime/bootstrap.py"])
        #expect(using.commands["provided"] == ["/var/task/bootstrap"])

        // The bytecode is the bootstrap: run as a script, it reads AWS_LAMBDA_RUNTIME_API first.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = ["-I", compiled]
        process.environment = [:]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text.contains("KeyError: 'AWS_LAMBDA_RUNTIME_API'"), "\(text)")
        #expect(text.contains("File \"/var/runtime/bootstrap.py\""), "tracebacks name the sandbox's path: \(text)")
    }
}
