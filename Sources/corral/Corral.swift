import ArgumentParser
import Foundation

@main
struct Corral: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corral",
        abstract: "A self-hosted function executor: every command runs in a Linux sandbox (namespaces, cgroups, seccomp).",
        subcommands: [ServeCommand.self, DeployCommand.self, InvokeCommand.self, FunctionsCommand.self, DeleteCommand.self, LogsCommand.self, StatusCommand.self,
                      RunCommand.self, DoctorCommand.self, BenchCommand.self, AdminCommand.self, PolicyCommand.self]
    )

    /// ArgumentParser exits 64 (EX_USAGE) on bad options; Corral's contract is 2, like most Unix tools.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(exitStatus(for: error))
            }
            exit(withError: error)
        }
    }

    /// The status a command that threw `error` exits with: ArgumentParser's, with 2 for bad usage.
    static func exitStatus(for error: Error) -> Int32 {
        let code = exitCode(for: error)
        return code == .validationFailure ? 2 : code.rawValue
    }
}

/// Writes a line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
