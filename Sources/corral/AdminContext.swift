import ArgumentParser
import CorralPolicy
import CorralStore
import Foundation

/// What an admin command works on and where its words go. Run from the terminal: the database under
/// --data, and this process's standard output and error. Run by the server for a client of
/// DATA/admin.sock: the server's own store, and output collected to send back to that client only (so a
/// secret shown once never reaches the server's log); the changes the command made are noted for the
/// server to apply at once.
final class AdminContext {
    /// The data directory: --data's, or the server's own.
    let dataDirectory: String
    /// The command's standard input, read before it ran (nil unless the command reads it).
    let standardInput: Data?
    /// The client's working directory, which relative paths in its arguments are relative to; nil: ours.
    private let workingDirectory: String?
    /// The server's store, when the server runs the command.
    private let serverStore: TenantStore?
    private(set) var output = ""
    private(set) var errors = ""
    /// What the command changed, in order.
    private(set) var changes: [AdminChange] = []

    /// From the terminal: the database under `directory`, this process's stdout and stderr.
    init(directory: String, standardInput: Data?) {
        dataDirectory = directory
        self.standardInput = standardInput
        workingDirectory = nil
        serverStore = nil
    }

    /// Inside the server: its own `store` and data directory; output is collected in `output` and `errors`.
    init(server store: TenantStore, directory: String, workingDirectory: String, standardInput: Data?) {
        dataDirectory = directory
        self.standardInput = standardInput
        self.workingDirectory = workingDirectory
        serverStore = store
    }

    /// The tenant store: the server's, or that of the data directory's database, which must exist (the
    /// server made it).
    func tenants() throws -> TenantStore {
        if let serverStore { return serverStore }
        let path = dataDirectory + "/corral.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no database at \(path): start `corral serve --data \(dataDirectory)` once, or pass --data")
        }
        guard access(path, R_OK | W_OK) == 0 else { throw ValidationError("\(path) is not readable and writable by this user (run as its owner, e.g. root)") }
        return TenantStore(database: try StoreDatabase(path: path))
    }

    /// `path` as the user meant it: a relative one is relative to the client's working directory.
    func path(_ path: String) -> String {
        guard let workingDirectory, !path.hasPrefix("/") else { return path }
        return workingDirectory + "/" + path
    }

    /// A line of output.
    func print(_ line: String) {
        if serverStore == nil { Swift.print(line) } else { output += line + "\n" }
    }

    /// A line of error output.
    func printError(_ line: String) {
        if serverStore == nil { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { errors += line + "\n" }
    }

    /// `object` as sorted, pretty JSON.
    func printJSON(_ object: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    /// Notes a change for the server to apply (from the terminal there is no server to tell).
    func changed(_ change: AdminChange) {
        changes.append(change)
    }

    /// Runs an admin action, printing store refusals as `corral admin: message` and exiting 1.
    func call(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as StoreError {
            printError("corral admin: \(error)")
            throw ExitCode(1)
        } catch let error as PolicyError {
            printError("corral admin: MalformedPolicyDocumentException: \(error)")
            throw ExitCode(1)
        }
    }
}

/// A change an admin command made that a running server must apply at once.
enum AdminChange: Equatable, Sendable {
    /// An access key was created or revoked.
    case keys
    /// A tenant was created.
    case tenants
    /// A tenant's quotas changed.
    case quotas
    /// An execution role of `account` was put or deleted.
    case role(account: String, name: String)
    /// A secret of `account` was put or deleted.
    case secret(account: String, name: String)
}
