import Foundation
import Glibc
import Testing

/// `corral admin` through the running server's DATA/admin.sock, and directly on the database when no
/// server runs.
extension ServerTests {
    /// `corral admin ARGUMENTS --data DIRECTORY`.
    static func admin(_ arguments: [String], data directory: String) throws -> (status: Int32, output: String, errors: String) {
        try run([binary, "admin"] + arguments + ["--data", directory])
    }

    /// The HTTP status, and the headers and body, of ListFunctions signed with `key` (curl --aws-sigv4).
    static func listFunctions(port: Int, key: [String: Any]) throws -> (status: String, response: String) {
        let marker = "\nHTTP-STATUS:"
        let result = try run(["/usr/bin/curl", "-s", "-i", "-w", marker + "%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:lambda",
                              "--user", "\(key["accessKeyId"] ?? ""):\(key["secretAccessKey"] ?? "")", "http://127.0.0.1:\(port)/2015-03-31/functions"])
        let parts = result.output.components(separatedBy: marker)
        return (parts.last ?? "", parts.first ?? "")
    }

    static func jsonObject(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test("with the server running, corral admin goes through DATA/admin.sock (root's, 0600): a revoked key is refused on the very next request; output reaches the client only")
    func adminThroughTheSocket() throws {
        _ = try Self.gate()
        let scratch = Scratch("corral-adminsock")
        defer { scratch.remove() }
        let directory = scratch.directory
        let port = Self.freePort()
        let server = try Server(data: directory, port: port)
        defer { _ = server.stop() }

        // The socket: a socket file, owned by root, mode 0600.
        var info = stat()
        #expect(lstat(directory + "/admin.sock", &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK && info.st_uid == 0 && info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode, radix: 8)), uid \(info.st_uid)")

        // Through the socket: the server logs the command's words; the secret shown once is in the client's output only.
        let created = try Self.admin(["tenant", "create", "acme", "--json"], data: directory)
        let acme = Self.jsonObject(created.output)
        let secret = try #require(acme["secretAccessKey"] as? String, "\(created)")
        #expect(server.output.contains("corral admin: tenant create (pid "), "\(server.output)")
        #expect(!server.output.contains(secret), "the secret stays out of the server's log")

        // The key works, and its answer is now in the server's key cache (2 s)...
        #expect(try Self.listFunctions(port: port, key: acme).status == "200")
        let keyID = try #require(acme["accessKeyId"] as? String)
        let revoked = try Self.admin(["key", "revoke", keyID], data: directory)
        #expect(revoked.status == 0 && revoked.output.contains("revoked \(keyID)"), "\(revoked)")
        #expect(server.output.contains("corral admin: key revoke (pid "), "the server ran it: \(server.output)")
        // ...yet the very next request is refused: the server applied the revocation before answering.
        let refused = try Self.listFunctions(port: port, key: acme)
        #expect(refused.status == "403" && refused.response.lowercased().contains("x-amzn-errortype: unrecognizedclientexception"), "\(refused)")

        // Standard input and relative paths are the client's: a secret from stdin, a role's policy named
        // relative to the client's working directory.
        let put = try Self.run(["/bin/sh", "-c", "printf s3cr3t | \"$0\" admin secret put --tenant acme token --data \"$1\"", Self.binary, directory])
        #expect(put.status == 0, "\(put)")
        #expect(try Self.admin(["secret", "list", "--tenant", "acme"], data: directory).output == "token\n")
        try #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secrets:Get", "Resource": "arn:corral:secrets:::token"}]}"#
            .write(toFile: directory + "-role.json", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: directory + "-role.json") }
        let parent = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        let name = URL(fileURLWithPath: directory).lastPathComponent
        let role = try Self.run(["/bin/sh", "-c", "cd \"$2\" && \"$0\" admin role put --tenant acme reader --policy \"$3\" --data \"$1\"",
                                 Self.binary, directory, parent, name + "-role.json"])
        #expect(role.status == 0 && role.output.contains(":role/reader"), "\(role)")
        // A refusal comes back with its exit status and message.
        let missing = try Self.admin(["key", "revoke", "AKIANOTAKEY000000000"], data: directory)
        #expect(missing.status == 1 && missing.errors.contains("no access key AKIANOTAKEY000000000"), "\(missing)")
        #expect(server.output.contains("corral admin: secret put (pid ") && server.output.contains("corral admin: key revoke (pid ") && server.output.contains("exit 1"))
        #expect(!server.output.contains("s3cr3t"))
    }

    @Test("a role or secret changed through the admin socket retires the warm environments it concerns, and only those")
    func adminChangesReachEnvironments() throws {
        _ = try Self.gate()
        let scratch = Scratch("corral-admindrain")
        defer { scratch.remove() }
        let directory = scratch.directory
        try scratch.writeCode(app: "import os\ndef handler(event, context):\n    return sorted(os.listdir('/run/secrets')) if os.path.isdir('/run/secrets') else []\n")
        let port = Self.freePort()
        let server = try Server(data: directory, port: port)
        defer { _ = server.stop() }
        let endpoint = ["--endpoint", "http://127.0.0.1:\(port)"]
        let policy = directory + "-role.json"
        defer { try? FileManager.default.removeItem(atPath: policy) }
        try #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secrets:Get", "Resource": "arn:corral:secrets:::tok*"}]}"#
            .write(toFile: policy, atomically: true, encoding: .utf8)
        #expect(try Self.admin(["role", "put", "--tenant", "admin", "reader", "--policy", policy], data: directory).status == 0)
        #expect(try Self.admin(["secret", "put", "--tenant", "admin", "token", "--file", policy], data: directory).status == 0)
        let deployed = try Self.run([Self.binary, "deploy", scratch.code, "--name", "f", "--runtime", "python3.11", "--handler", "app.handler", "--role", "reader"] + endpoint)
        #expect(deployed.status == 0, "\(deployed)")
        /// Invokes f: whether it started cold, and what it returned.
        func invoke() throws -> (cold: Bool, output: String) {
            let result = try Self.run([Self.binary, "invoke", "f", "--log"] + endpoint)
            #expect(result.status == 0, "\(result)")
            return (result.errors.contains("Init Duration"), result.output)
        }
        #expect(try invoke().cold)
        #expect(try invoke().cold == false, "warm")
        // A secret the role does not grant leaves the environment warm (the oracle that the next ones can fail)...
        #expect(try Self.admin(["secret", "put", "--tenant", "admin", "other", "--file", policy], data: directory).status == 0)
        #expect(try invoke().cold == false, "another secret does not concern f")
        // ...one it grants retires it, and so does the role itself.
        #expect(try Self.admin(["secret", "put", "--tenant", "admin", "token2", "--file", policy], data: directory).status == 0)
        let afterSecret = try invoke()
        #expect(afterSecret.cold && afterSecret.output.contains("token2"), "\(afterSecret)")
        #expect(try invoke().cold == false, "warm again")
        #expect(try Self.admin(["role", "put", "--tenant", "admin", "reader", "--policy", policy], data: directory).status == 0)
        #expect(try invoke().cold, "the role changed")
    }

    @Test("the admin socket refuses a peer other than root (SO_PEERCRED), and the command does not run")
    func adminSocketRefusesOthers() throws {
        _ = try Self.gate()
        let scratch = Scratch("corral-adminpeer")
        defer { scratch.remove() }
        let directory = scratch.directory
        let server = try Server(data: directory, port: Self.freePort())
        defer { _ = server.stop() }
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

        // A plain uid 65534 does not get through the file's mode (nor the 0700 data directory).
        let plain = try Self.run(nobody + [Self.binary, "admin", "tenant", "create", "outsider", "--data", directory])
        #expect(plain.status == 1 && plain.errors.contains("cannot reach the server") && plain.errors.contains("Permission denied"), "\(plain)")
        // With CAP_DAC_OVERRIDE it connects, and the server refuses it by its credentials.
        let privileged = try Self.run(nobody + ["--inh-caps=+dac_override", "--ambient-caps=+dac_override",
                                                Self.binary, "admin", "tenant", "create", "outsider", "--data", directory])
        #expect(privileged.status == 1 && privileged.errors.contains("refused") && privileged.errors.contains("root only, not uid 65534"), "\(privileged)")
        #expect(server.output.contains("corral admin: refused uid 65534"), "\(server.output)")
        #expect(!server.output.contains("corral admin: tenant create"), "the server ran nothing: \(server.output)")
        #expect(!(try Self.admin(["tenant", "list"], data: directory)).output.contains("outsider"))
        // Oracle: the same command from root runs.
        let root = try Self.admin(["tenant", "create", "outsider"], data: directory)
        let listed = try Self.admin(["tenant", "list"], data: directory)
        #expect(root.status == 0 && listed.output.contains("outsider"), "\(root) \(listed)")
    }

    @Test("with the server stopped, admin commands work on the database; a stale socket is replaced, a live one is not taken over")
    func adminWithoutTheServer() throws {
        _ = try Self.gate()
        let scratch = Scratch("corral-admindb")
        defer { scratch.remove() }
        let directory = scratch.directory
        let socket = directory + "/admin.sock"
        var server = try Server(data: directory, port: Self.freePort())
        #expect(try Self.admin(["tenant", "create", "acme"], data: directory).status == 0)
        #expect(server.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: socket), "the server removes its socket when it stops")

        // Directly on the database: create, revoke, list.
        let created = try Self.admin(["key", "create", "--tenant", "acme", "--json"], data: directory)
        let keyID = try #require(Self.jsonObject(created.output)["accessKeyId"] as? String, "\(created)")
        #expect(try Self.admin(["key", "revoke", keyID], data: directory).status == 0)
        let keys = try Self.admin(["key", "list", "--tenant", "acme"], data: directory)
        #expect(keys.status == 0 && keys.output.contains(keyID) && keys.output.contains("Revoked"), "\(keys)")
        #expect(!server.output.contains("corral admin: key create"), "no server ran it")

        // A socket file nothing accepts on (a server that died): commands still work directly, and the next
        // server replaces it.
        let stale = try Self.run(["/usr/bin/python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socket])
        #expect(stale.status == 0 && FileManager.default.fileExists(atPath: socket), "\(stale)")
        #expect(try Self.admin(["tenant", "list"], data: directory).output.contains("acme"))
        server = try Server(data: directory, port: Self.freePort())
        #expect(try Self.admin(["tenant", "list"], data: directory).output.contains("acme"))
        #expect(server.output.contains("corral admin: tenant list (pid "), "\(server.output)")
        #expect(server.stop() == 0)

        // A socket something accepts on is left alone: the server does not start.
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        listener.arguments = ["-c", "import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print('ready', flush=True); time.sleep(60)", socket]
        let ready = Pipe()
        listener.standardOutput = ready
        try listener.run()
        defer {
            kill(listener.processIdentifier, SIGKILL)
            listener.waitUntilExit()
        }
        _ = ready.fileHandleForReading.availableData
        var before = stat(), after = stat()
        #expect(lstat(socket, &before) == 0)
        let second = Process()
        second.executableURL = URL(fileURLWithPath: Self.binary)
        second.arguments = ["serve", "--data", directory, "--listen", "127.0.0.1:\(Self.freePort())"]
        let errors = Pipe()
        second.standardError = errors
        second.standardOutput = FileHandle.nullDevice
        try second.run()
        for _ in 0..<600 where second.isRunning { usleep(100_000) }
        if second.isRunning { second.terminate() }
        second.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 1 && said.contains("a server accepts on it"), "\(said)")
        #expect(lstat(socket, &after) == 0 && after.st_ino == before.st_ino, "the live socket is still there")
    }
}
