import ArgumentParser
import Foundation

/// An admin command (`corral admin tenant create`, `key revoke`, ...): its body reads, writes and prints
/// through an AdminContext, so it can run elsewhere than in this process's terminal.
protocol AdminAction: ParsableCommand {
    /// --data: where the database is.
    var data: DataOptions { get }
    /// True when the command reads its standard input; it is read before the command runs, here.
    var readsStandardInput: Bool { get }
    /// The command's body: what it reads, writes and prints goes through `admin`.
    func perform(_ admin: AdminContext) throws
}

extension AdminAction {
    var readsStandardInput: Bool { false }

    /// Runs the command on the database under --data, printing to this process's stdout and stderr.
    func run() throws {
        let input = readsStandardInput ? FileHandle.standardInput.readDataToEndOfFile() : nil
        try perform(AdminContext(directory: data.directory, standardInput: input))
    }
}
