import ArgumentParser
import CorralSystem
import Foundation

/// An admin command (`corral admin tenant create`, `key revoke`, ...): its body runs on the database
/// directly, or inside the running server, which applies what it changed at once.
protocol AdminAction: ParsableCommand {
    /// --data: where the database is, and DATA/admin.sock with it.
    var data: DataOptions { get }
    /// True when the command reads its standard input; it is read before the command runs, here.
    var readsStandardInput: Bool { get }
    /// The command's body: what it reads, writes and prints goes through `admin`.
    func perform(_ admin: AdminContext) throws
}

extension AdminAction {
    var readsStandardInput: Bool { false }

    /// The one place that decides where an admin command runs: through DATA/admin.sock when a server
    /// accepts on it (the server runs it on its own database and applies it at once), else directly on
    /// the database (no socket, or nothing accepts on it: the server is not running).
    func run() throws {
        let input = readsStandardInput ? FileHandle.standardInput.readDataToEndOfFile() : nil
        let socket = AdminSocket.path(in: data.directory)
        let connection: Int32?
        do {
            connection = try AdminSocket.connect(socket)
        } catch {
            printError("corral admin: cannot reach the server on \(socket): \(error) (admin commands need root)")
            throw ExitCode(1)
        }
        guard let connection else {
            try perform(AdminContext(directory: data.directory, standardInput: input))
            return
        }
        // The arguments after `admin`, --data among them: the server ignores it and uses its own.
        let arguments = Array(CommandLine.arguments.dropFirst().drop(while: { $0 != "admin" }).dropFirst())
        let request = AdminSocket.Request(arguments: arguments, workingDirectory: FileManager.default.currentDirectoryPath, standardInput: input)
        let reply: AdminSocket.Reply
        do {
            reply = try AdminSocket.exchange(request, on: connection)
        } catch {
            printError("corral admin: no answer from the server on \(socket): \(error)")
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(Data(reply.output.utf8))
        FileHandle.standardError.write(Data(reply.errors.utf8))
        if reply.status != 0 { throw ExitCode(reply.status) }
    }
}
