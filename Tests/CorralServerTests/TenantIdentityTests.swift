import Foundation
import Testing

/// Tenants' host identities: each tenant's sandboxes run as host ids of its own block (outside the
/// host's accounts), fresh environments each as one more id of it, and the fsRoots are the tenant's,
/// on nosuid,nodev mounts, so what a tenant's function leaves there serves no other host user.
extension ServerTests {
    /// A tmpfs mounted nosuid,nodev at a root-owned 0755 directory under /var/tmp: where a test's
    /// fsRoots live (a tenant's roots must be on such a mount). `remove()` unmounts it and deletes it.
    struct RootsMount {
        let base: String

        init(_ prefix: String) throws {
            base = "/var/tmp/\(prefix)-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            guard mount("tmpfs", base, "tmpfs", UInt(MS_NOSUID | MS_NODEV), "mode=0755,size=256m") == 0 else {
                let error = errno
                try? FileManager.default.removeItem(atPath: base)
                throw Unavailable(description: "cannot mount a tmpfs at \(base): errno \(error)")
            }
        }

        /// Makes `name` under the mount (root's, 0755) and returns its path.
        func directory(_ name: String) throws -> String {
            let path = base + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            return path
        }

        func remove() {
            umount2(base, Int32(MNT_DETACH))
            try? FileManager.default.removeItem(atPath: base)
        }
    }

    static func owner(_ path: String) -> (uid: UInt32, gid: UInt32, mode: UInt32)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_uid, info.st_gid, UInt32(info.st_mode & 0o7777))
    }

    /// `argv` run as host uid `uid` with gid `gid` and no supplementary groups (setpriv).
    static func runAs(uid: UInt32, gid: UInt32, _ argv: [String]) throws -> (status: Int32, output: String, errors: String) {
        try run(["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--"] + argv)
    }

    @Test("each tenant runs as host ids of its own block, fresh environments each as their own; roots are the tenant's, nosuid: a planted set-uid file and a kill serve no one")
    func tenantIdentities() throws {
        _ = try Self.gate()
        guard let runtime = RuntimeCatalogProbe.python else { throw Unavailable(description: "no /usr/bin/python3.N") }
        let roots = try RootsMount("corral-ids")
        defer { roots.remove() }
        let alpha = try roots.directory("alpha"), beta = try roots.directory("beta")
        // What the shared identity of older releases (uid and gid 100000) left in alpha's root.
        try FileManager.default.createDirectory(atPath: alpha + "/old/deeper", withIntermediateDirectories: true)
        try "old".write(toFile: alpha + "/old/deeper/file", atomically: false, encoding: .utf8)
        for path in [alpha + "/old", alpha + "/old/deeper", alpha + "/old/deeper/file"] { chown(path, 100_000, 100_000) }
        try "the operator's".write(toFile: alpha + "/operator.txt", atomically: false, encoding: .utf8)
        let scratch = Scratch("corral-ids")
        defer { scratch.remove() }
        let data = ["--data", scratch.directory]
        /// The CLI signing with a tenant's root key.
        func key(_ object: [String: Any]) -> [String] {
            ["/usr/bin/env", "AWS_ACCESS_KEY_ID=\(object["accessKeyId"] ?? "")", "AWS_SECRET_ACCESS_KEY=\(object["secretAccessKey"] ?? "")"]
        }
        func tenant(_ name: String, _ account: String) throws -> [String: Any] {
            let created = try Self.run([Self.binary, "admin", "tenant", "create", name, "--account", account, "--json"] + data)
            let key = (try? JSONSerialization.jsonObject(with: Data(created.output.utf8))) as? [String: Any] ?? [:]
            try #require(key["accessKeyId"] != nil, "\(created)")
            return key
        }
        // The tenants exist first (the server's first start makes the database); then the operator opens
        // a root to each and restarts.
        let first = try Server(data: scratch.directory, port: Self.freePort())
        let alphaKey = key(try tenant("alpha", "111122223333")), betaKey = key(try tenant("beta", "222233334444"))
        _ = first.stop()
        let settings = "fsRoots:\n  \"111122223333\": [\(alpha)]\n  \"222233334444\": [\(beta)]\n"
        let port = Self.freePort()
        var server = try Server(data: scratch.directory, port: port, settings: settings)
        var running = true
        defer { if running { _ = server.stop() } }
        let endpoint = ["--endpoint", "http://127.0.0.1:\(port)"]

        // Start-up gave each root to its tenant: distinct ids from the pool, mode 0770.
        let pool = UInt32(0x7000_0000)...UInt32(0x7FFD_FFFF)
        let alphaID = try #require(Self.owner(alpha)).uid, betaID = try #require(Self.owner(beta)).uid
        #expect(pool.contains(alphaID) && pool.contains(betaID) && alphaID != betaID, "\(alphaID) \(betaID)")
        #expect((alphaID - pool.lowerBound) % 65_536 == 0 && (betaID - pool.lowerBound) % 65_536 == 0 && alphaID != pool.lowerBound)
        for (root, id) in [(alpha, alphaID), (beta, betaID)] {
            let found = Self.owner(root)
            #expect(found?.uid == id && found?.gid == id && found?.mode == 0o770, "\(root): \(String(describing: found))")
        }
        // The legacy entries moved over; the operator's own file kept its owner.
        for path in [alpha + "/old", alpha + "/old/deeper", alpha + "/old/deeper/file"] {
            #expect(Self.owner(path).map { [$0.uid, $0.gid] } == [alphaID, alphaID], "\(path)")
        }
        #expect(Self.owner(alpha + "/operator.txt").map { [$0.uid, $0.gid] } == [0, 0])

        // Each tenant's writer: a file named by the event, and on request a set-uid copy of id(1).
        try scratch.writeCode(app: """
            import os, shutil
            def handler(event, context):
                root = os.environ["ROOT"]
                with open(os.path.join(root, event["file"]), "w") as f:
                    f.write("from the sandbox")
                if event.get("setuid"):
                    shutil.copy("/usr/bin/id", os.path.join(root, "id-setuid"))
                    os.chmod(os.path.join(root, "id-setuid"), 0o4755)
                return {"uid": os.getuid(), "pid": os.getpid()}
            """)
        for (tenant, root, caller) in [("alpha", alpha, alphaKey), ("beta", beta, betaKey)] {
            let policy = scratch.directory + "-\(tenant).json"
            defer { try? FileManager.default.removeItem(atPath: policy) }
            try #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "fs:Write", "Resource": "arn:corral:fs:::\#(root)"}]}"#
                .write(toFile: policy, atomically: true, encoding: .utf8)
            let put = try Self.run([Self.binary, "admin", "role", "put", "--tenant", tenant, "writer", "--policy", policy] + data)
            #expect(put.status == 0, "\(put)")
            for (name, mode) in [("reused", "reuse"), ("fresh", "fresh")] where tenant == "alpha" || name == "reused" {
                let deployed = try Self.run(caller + [Self.binary, "deploy", scratch.code, "--name", name, "--runtime", runtime, "--handler", "app.handler",
                                                     "--role", "writer", "--mode", mode, "--env", "ROOT=\(root)"] + endpoint)
                #expect(deployed.status == 0, "\(deployed)")
            }
        }
        func invoke(_ caller: [String], _ name: String, _ event: String) throws -> [String: Any] {
            let result = try Self.run(caller + [Self.binary, "invoke", name, "--payload", event] + endpoint)
            return (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any] ?? ["failed": "\(result)"]
        }
        let alphaRun = try invoke(alphaKey, "reused", #"{"file": "alpha.txt", "setuid": true}"#)
        let betaRun = try invoke(betaKey, "reused", #"{"file": "beta.txt"}"#)
        let fresh = try [1, 2].map { try invoke(alphaKey, "fresh", #"{"file": "fresh-\#($0).txt"}"#) }
        // Inside, each is root; on the host, each tenant's files are its own id's.
        for run in [alphaRun, betaRun] + fresh { #expect(run["uid"] as? Int == 0, "\(run)") }
        #expect(Self.owner(alpha + "/alpha.txt").map { [$0.uid, $0.gid] } == [alphaID, alphaID])
        #expect(Self.owner(beta + "/beta.txt").map { [$0.uid, $0.gid] } == [betaID, betaID])
        // Fresh environments: an id each, inside alpha's block, never alpha's own; the group alpha's.
        let freshOwners = [1, 2].compactMap { Self.owner(alpha + "/fresh-\($0).txt") }
        #expect(freshOwners.count == 2 && Set(freshOwners.map(\.uid)).count == 2, "\(freshOwners)")
        for found in freshOwners {
            #expect(found.uid > alphaID && found.uid < alphaID + 65_536 && found.gid == alphaID, "\(found)")
        }

        // Another host user cannot look into a tenant's root; the tenant's group can (the oracle).
        #expect(try Self.runAs(uid: 65_534, gid: 65_534, ["/bin/cat", alpha + "/alpha.txt"]).status != 0)
        #expect(try Self.runAs(uid: betaID, gid: betaID, ["/bin/cat", alpha + "/alpha.txt"]).status != 0, "beta's id reads alpha's files")
        #expect(try Self.runAs(uid: 65_534, gid: alphaID, ["/bin/cat", alpha + "/alpha.txt"]).output == "from the sandbox")
        // The set-uid copy alpha's function planted gives nobody alpha's id: the root's mount is nosuid.
        #expect(Self.owner(alpha + "/id-setuid").map { [$0.uid, $0.mode & 0o4000] } == [alphaID, 0o4000], "the function made a set-uid file")
        let planted = try Self.runAs(uid: 65_534, gid: alphaID, [alpha + "/id-setuid", "-u"])
        #expect(planted.output.trimmingCharacters(in: .whitespacesAndNewlines) == "65534", "\(planted)")
        // Oracle: the same file on a mount that honours set-uid (a tmpfs of the test's own, mounted without
        // nosuid) does give alpha's id.
        let oracle = "/var/tmp/corral-ids-oracle-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: oracle, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try #require(mount("tmpfs", oracle, "tmpfs", 0, "mode=0755,size=16m") == 0, "mounting the oracle's tmpfs: errno \(errno)")
        defer {
            umount2(oracle, Int32(MNT_DETACH))
            try? FileManager.default.removeItem(atPath: oracle)
        }
        #expect(try Self.run(["/bin/cp", "-p", alpha + "/id-setuid", oracle + "/id-setuid"]).status == 0)
        let honoured = try Self.runAs(uid: 65_534, gid: 65_534, [oracle + "/id-setuid", "-u"])
        #expect(honoured.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(alphaID)", "\(honoured)")

        // beta's runtime is alive (reused environments wait for the next invocation): alpha's id cannot
        // signal it; beta's own id can (the oracle that the probe reaches it).
        let betaPID = try #require(betaRun["pid"] as? Int).description
        let hostPIDs = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
            guard Int(pid) != nil, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
            return status.split(separator: "\n").contains { $0.hasPrefix("Uid:") && $0.split(whereSeparator: \.isWhitespace).dropFirst().first == "\(betaID)" }
                && status.contains("NSpid:") && status.split(separator: "\n").contains { $0.hasPrefix("NSpid:") && $0.hasSuffix("\t" + betaPID) }
        }
        let target = try #require(hostPIDs.first, "beta's runtime (pid \(betaPID) inside) is not among the host's processes with uid \(betaID)")
        let signal = "import os, sys; os.kill(int(sys.argv[1]), 0)"
        #expect(try Self.runAs(uid: alphaID, gid: alphaID, ["/usr/bin/python3", "-c", signal, target]).status != 0, "alpha's id signalled beta's runtime")
        #expect(try Self.runAs(uid: betaID, gid: betaID, ["/usr/bin/python3", "-c", signal, target]).status == 0)

        // The blocks are recorded: a restart keeps them, and a pool that no longer holds them is refused.
        _ = server.stop()
        running = false
        do {
            let moved = try Server(data: scratch.directory, port: Self.freePort(), settings: settings + "tenantIds: {first: 1610612736, blocks: 16}\n")
            _ = moved.stop()
            Issue.record("corral serve started with a pool that does not hold the recorded blocks")
        } catch {
            #expect("\(error)".contains("keep the pool that gave it"), "\(error)")
        }
        server = try Server(data: scratch.directory, port: port, settings: settings)
        running = true
        #expect(Self.owner(alpha).map { [$0.uid, $0.gid] } == [alphaID, alphaID] && Self.owner(beta).map { [$0.uid, $0.gid] } == [betaID, betaID])
        let again = try invoke(betaKey, "reused", #"{"file": "after-restart.txt"}"#)
        #expect(again["uid"] as? Int == 0 && Self.owner(beta + "/after-restart.txt")?.uid == betaID, "\(again)")
    }

    @Test("a tenant's root on a mount that honours set-uid or devices, or opened to two accounts, stops corral serve at start-up")
    func unsafeRootsAreRefused() throws {
        _ = try Self.gate()
        let roots = try RootsMount("corral-ids")
        defer { roots.remove() }
        let shared = try roots.directory("shared")
        let plain = "/var/tmp/corral-ids-plain-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: plain + "/root", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        chmod(plain, 0o755)
        defer { try? FileManager.default.removeItem(atPath: plain) }
        for (settings, says) in [
            ("fsRoots:\n  \"000000000000\": [\(plain)/root]\n", "without nosuid,nodev"),
            ("fsRoots:\n  \"000000000000\": [\(shared)]\n  \"111122223333\": [\(shared)/inner]\n", "overlap"),
        ] {
            try FileManager.default.createDirectory(atPath: shared + "/inner", withIntermediateDirectories: true)
            let scratch = Scratch("corral-ids")
            defer { scratch.remove() }
            do {
                let server = try Server(data: scratch.directory, port: Self.freePort(), settings: settings)
                _ = server.stop()
                Issue.record("corral serve started with \(settings)")
            } catch {
                #expect("\(error)".contains(says), "\(error)")
            }
        }
        // Oracle: the same root on the nosuid,nodev mount, opened to one account, starts.
        let scratch = Scratch("corral-ids")
        defer { scratch.remove() }
        let server = try Server(data: scratch.directory, port: Self.freePort(), settings: "fsRoots:\n  \"000000000000\": [\(shared)]\n")
        _ = server.stop()
    }
}
