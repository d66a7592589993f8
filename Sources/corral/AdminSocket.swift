import CorralSystem
import Foundation

/// `corral admin` through a running server: DATA/admin.sock, a Unix stream socket (mode 0600, root's),
/// one request and one reply per connection, each a JSON object. The client sends the arguments after
/// `admin`, its working directory (relative paths among them are its own) and, for a command that reads
/// it, its standard input, then shuts down its side; the server checks that the peer is root, runs the
/// command in-process on its own database and answers with what it printed and its exit status.
enum AdminSocket {
    static let fileName = "admin.sock"
    /// Bytes a request may hold: arguments, and a secret's value (at most 64 KiB) from standard input.
    static let requestLimit = 1 << 20
    /// Seconds either side waits for the other to make progress.
    static let timeoutSeconds = 30

    struct Request: Codable {
        var arguments: [String]
        var workingDirectory: String
        var standardInput: Data?
    }

    struct Reply: Codable {
        var output = ""
        var errors = ""
        var status: Int32 = 0
    }

    static func path(in dataDirectory: String) -> String {
        dataDirectory + "/" + fileName
    }

    /// A connection to the server accepting on `path`; nil when no server runs there (no socket, or a
    /// socket nothing accepts on, left by a server that died). Other failures (EACCES: not root) throw.
    static func connect(_ path: String) throws(SystemError) -> Int32? {
        do {
            return try UnixSocket.connect(to: path)
        } catch {
            if error.errno == ENOENT || error.errno == ECONNREFUSED { return nil }
            throw error
        }
    }

    /// Sends `request` on `connection`, returns the server's reply and closes the connection.
    static func exchange(_ request: Request, on connection: Int32) throws -> Reply {
        defer { FileDescriptor.close(connection) }
        try UnixSocket.setTimeout(connection, seconds: timeoutSeconds)
        try UnixSocket.send(connection, Array(try JSONEncoder().encode(request)))
        UnixSocket.shutdown(connection, Int32(SHUT_WR))
        let bytes = try UnixSocket.receiveAll(connection, limit: .max)
        return try JSONDecoder().decode(Reply.self, from: Data(bytes))
    }
}
