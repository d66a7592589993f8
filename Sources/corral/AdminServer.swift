import CorralSystem
import Foundation
import Logging

/// The server's end of DATA/admin.sock: a thread of its own that accepts one connection at a time,
/// refuses any peer but root (SO_PEERCRED: who connected, whatever the file's mode let through), and
/// has `ServerAdministration` run the command it was sent. Admin commands are rare and short; one
/// blocking thread keeps them off the request path and the concurrency pool.
///
/// Two steps: `init` claims the socket before the server touches its data directory (a live socket
/// there means another server uses it), `start` takes commands once the server is ready.
final class AdminServer {
    let path: String
    private let listener: Int32
    /// The socket file this server made (device, inode), so stop() removes that file and no other.
    private let file: (device: UInt64, inode: UInt64)?
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    /// Listens on `path` (mode 0600 from the start). A stale socket left by a server that died is
    /// replaced; one that a server accepts on is EADDRINUSE.
    init(path: String) throws(SystemError) {
        self.path = path
        listener = try UnixSocket.listen(at: path, mode: 0o600)
        file = UnixSocket.identity(of: path)
    }

    /// Starts accepting; each command runs through `administration`.
    func start(administration: ServerAdministration, logger: Logger) {
        started = true
        let listener = self.listener, path = self.path, finished = self.finished
        let thread = Thread {
            Self.acceptLoop(listener, path: path, administration: administration, logger: logger)
            finished.signal()
        }
        thread.name = "corral-admin"
        thread.start()
    }

    /// Stops accepting (a command running finishes first), closes the socket and removes its file.
    func stop() async {
        UnixSocket.shutdown(listener, Int32(SHUT_RDWR))
        if started {
            // Waited for off the concurrency pool: the command may itself be waiting for a task on it.
            let finished = self.finished
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    finished.wait()
                    done.resume()
                }
            }
        }
        FileDescriptor.close(listener)
        if let file, let now = UnixSocket.identity(of: path), now == file { unlink(path) }
    }

    private static func acceptLoop(_ listener: Int32, path: String, administration: ServerAdministration, logger: Logger) {
        while true {
            let connection: Int32
            do {
                connection = try UnixSocket.accept(listener)
            } catch {
                if error.errno == EINVAL { return }  // stop() shut the listener down
                logger.warning("corral admin: accept on \(path): \(error)")
                usleep(100_000)  // EMFILE and the like: do not spin
                continue
            }
            serve(connection, path: path, administration: administration, logger: logger)
            FileDescriptor.close(connection)
        }
    }

    /// One connection: the peer must be root; then one request, one reply.
    private static func serve(_ connection: Int32, path: String, administration: ServerAdministration, logger: Logger) {
        let reply: AdminSocket.Reply
        do {
            try UnixSocket.setTimeout(connection, seconds: AdminSocket.timeoutSeconds)
            let peer = try UnixSocket.peerCredentials(connection)
            // Read whole even when refused: closing with unread bytes would reset the connection, and the
            // peer would lose the reply.
            let bytes = try UnixSocket.receiveAll(connection, limit: AdminSocket.requestLimit)
            // Connected and closed without a word: another `corral serve` checking whether this socket is
            // live (it is), not a failure.
            if bytes.isEmpty { return }
            if peer.uid != 0 {
                logger.warning("corral admin: refused uid \(peer.uid) (pid \(peer.pid)) on \(path): root only")
                reply = AdminSocket.Reply(errors: "corral admin: refused: the server on \(path) takes admin commands from root only, not uid \(peer.uid)\n", status: 1)
            } else {
                let request = try JSONDecoder().decode(AdminSocket.Request.self, from: Data(bytes))
                reply = administration.run(request)
                // The command's words only: its output may hold a secret shown once, and stays with the client.
                let words = request.arguments.prefix { !$0.hasPrefix("-") }.prefix(2).joined(separator: " ")
                logger.info("corral admin: \(words) (pid \(peer.pid)): exit \(reply.status)")
            }
        } catch {
            logger.warning("corral admin: a connection on \(path) failed: \(error)")
            return
        }
        do {
            try UnixSocket.send(connection, Array(try JSONEncoder().encode(reply)))
        } catch {
            logger.warning("corral admin: cannot answer on \(path): \(error)")
        }
    }
}
