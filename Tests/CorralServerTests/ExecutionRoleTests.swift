import Foundation
import Testing

/// Execution roles compiled into sandboxes, observed from inside by roles.py's probe function, with the
/// same probe under corral-basic (which grants nothing) as the oracle that the probe notices a grant.
extension ServerTests {
    /// A loopback web server (python3 -m http.server) serving hello.txt, and the requests it logged.
    final class WebServer {
        let process = Process()
        let directory: String
        let log: String
        let hostPort: String

        init(host: String, body: String) throws {
            directory = "/var/tmp/corral-web-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try body.write(toFile: directory + "/hello.txt", atomically: true, encoding: .utf8)
            log = directory + ".log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let port = ServerTests.freePort()
            hostPort = "\(host):\(port)"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-m", "http.server", "--bind", host, "--directory", directory, String(port)]
            process.standardOutput = FileHandle(forWritingAtPath: log)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
            for _ in 0..<100 {
                let probe = try? ServerTests.run(["/usr/bin/python3", "-c", "import socket; socket.create_connection(('\(host)', \(port)), timeout=1)"])
                if probe?.status == 0 { break }
                usleep(50_000)
            }
        }

        /// Requests the server logged ("GET /hello.txt" lines).
        var requests: Int {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "\"GET /hello.txt").count - 1
        }

        func stop() {
            // SIGKILL: a process Foundation starts from a test thread inherits that thread's blocked signals,
            // SIGTERM among them.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: log)
        }
    }

    @Test("a role's grants hold inside the sandbox: fs binds, /run/secrets, egress proxy, role credentials; nothing else is reachable")
    func executionRoles() throws {
        let python = try Self.gate()
        let scratch = Scratch("roles")
        // Under /var/tmp (/tmp is the sandbox's own tmpfs, and grants there are refused), on a nosuid,nodev
        // mount as every tenant root must be.
        let mount = try RootsMount("corral-roles")
        defer { mount.remove() }
        let root = try mount.directory("root")
        let closed = try mount.directory("closed")
        // boto3 for the sandbox, copied out of the clients' venv: the venv lives in the checkout, which may
        // be anywhere (under /tmp in CI), and only the copy's place is the test's to choose.
        let site = try mount.directory("site")
        let copied = try Self.run(["/usr/bin/env", python, "-c", """
            import os, shutil, sys, boto3, botocore, s3transfer, jmespath, dateutil, urllib3, six
            for module in (boto3, botocore, s3transfer, jmespath, dateutil, urllib3, six):
                path = module.__file__
                if os.path.basename(path) == "__init__.py":
                    shutil.copytree(os.path.dirname(path), os.path.join(sys.argv[1], module.__name__), ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(path, sys.argv[1])
            """, site])
        try #require(copied.status == 0, "copying boto3 for the sandbox: \(copied)")
        let granted = try WebServer(host: "127.0.0.2", body: "granted server")
        let refused = try WebServer(host: "127.0.0.3", body: "refused server")
        defer {
            granted.stop()
            refused.stop()
            scratch.remove()
        }
        for directory in [root + "/in", root + "/out", root + "/hidden", closed] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "input data".write(toFile: root + "/in/data.txt", atomically: true, encoding: .utf8)
        try "not granted".write(toFile: root + "/hidden/secret.txt", atomically: true, encoding: .utf8)

        let port = Self.freePort()
        let server = try Server(data: scratch.directory, port: port, settings: """
            fsRoots:
              "000000000000": [\(root), \(site)]
            """)
        // Start-up gave the roots to the tenant's host id (what its sandboxes' root maps to); out is the
        // tenant's too, as an operator would make it.
        let tenantID = try #require(Self.owner(root)).uid
        chown(root + "/out", tenantID, tenantID)
        var stopped = false
        defer { if !stopped { _ = server.stop() } }
        let data = ["--data", scratch.directory]
        let policy = scratch.directory + "-worker.json"
        defer { try? FileManager.default.removeItem(atPath: policy) }
        try """
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "ReadInput", "Effect": "Allow", "Action": "fs:Read", "Resource": ["arn:corral:fs:::\(root)/in/*", "arn:corral:fs:::\(site)/*"]},
              {"Sid": "WriteOutput", "Effect": "Allow", "Action": "fs:Write", "Resource": "arn:corral:fs:::\(root)/out"},
              {"Sid": "Secrets", "Effect": "Allow", "Action": "secrets:Get", "Resource": "arn:corral:secrets:::db-*"},
              {"Sid": "CallHelper", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:*:000000000000:function:helper"},
              {"Sid": "Egress", "Effect": "Allow", "Action": "net:Connect", "Resource": "arn:corral:net:::\(granted.hostPort)"}]}
            """.write(toFile: policy, atomically: true, encoding: .utf8)
        #expect(try Self.run([Self.binary, "admin", "role", "put", "--tenant", "admin", "worker", "--policy", policy] + data).status == 0)
        let password = "s3cr3t-\(UUID().uuidString)"
        for (name, value) in [("db-password", password), ("api-token", "not for the worker")] {
            try value.write(toFile: policy + ".secret", atomically: true, encoding: .utf8)
            #expect(try Self.run([Self.binary, "admin", "secret", "put", "--tenant", "admin", name, "--file", policy + ".secret"] + data).status == 0)
        }
        try? FileManager.default.removeItem(atPath: policy + ".secret")

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("roles.py").path
        let result = try Self.run(["/usr/bin/env", python, script, "http://127.0.0.1:\(port)", root, closed, site, granted.hostPort, refused.hostPort])
        // roles.py's own errors (a traceback) are shown when its output is not the JSON expected.
        let seen = try #require((try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any],
                                "roles.py: \(result)\n--- server\n\(server.output)")
        let worker = try #require((seen["worker"] as? [String: Any])?["payload"] as? [String: Any], "\(seen)")
        let basic = try #require((seen["basic"] as? [String: Any])?["payload"] as? [String: Any], "\(seen)")
        func ok(_ probe: [String: Any], _ key: String) -> Any? { (probe[key] as? [String: Any])?["ok"] }
        func errno(_ probe: [String: Any], _ key: String) -> Int? { (probe[key] as? [String: Any])?["errno"] as? Int }

        // Whatever the role grants, the sandbox keeps its seccomp filter, no_new_privs and no capabilities.
        for probe in [worker, basic] {
            #expect(probe["status"] as? [String: String] == ["Seccomp": "2", "NoNewPrivs": "1", "CapEff": "0000000000000000"], "\(probe["status"] ?? "")")
        }
        // fs: the granted input is readable and read-only, the output writable and the write lands on the
        // host; the ungranted sibling and an unopened directory do not exist.
        #expect(ok(worker, "readIn") as? String == "input data", "\(worker)")
        #expect(errno(worker, "writeIn") == Int(EROFS), "\(worker["writeIn"] ?? "")")
        #expect(ok(worker, "writeOut") as? Bool == true, "\(worker["writeOut"] ?? "")")
        #expect((try? String(contentsOfFile: root + "/out/made-inside.txt", encoding: .utf8)) == "written from the sandbox")
        #expect(ok(worker, "rootListing") as? [String] == ["in", "out"], "\(worker["rootListing"] ?? "")")
        #expect(worker["hiddenExists"] as? Bool == false && worker["closedExists"] as? Bool == false)
        // secrets: only the granted one, read-only.
        #expect(ok(worker, "secrets") as? [String] == ["db-password"], "\(worker["secrets"] ?? "")")
        #expect(ok(worker, "dbPassword") as? String == password)
        // The secret is in the sandbox's memory only: no file of the server's but its database holds it,
        // while the environment runs (the oracle: the database itself does).
        #expect(Self.filesHolding(password, under: [scratch.directory, "/run/corral"]).filter { !$0.hasPrefix(scratch.directory + "/corral.sqlite") } == [])
        #expect(Self.filesHolding(password, under: [scratch.directory]).contains { $0.hasPrefix(scratch.directory + "/corral.sqlite") })
        #expect([Int(EROFS), Int(EACCES)].contains(errno(worker, "writeSecret") ?? 0), "\(worker["writeSecret"] ?? "")")
        // egress: the proxy passes the granted host:port (plain HTTP and CONNECT) and refuses the other,
        // which never sees a connection; without the proxy nothing leaves the sandbox.
        let env = try #require(worker["proxyEnv"] as? [String: Any])
        #expect((env["HTTP_PROXY"] as? String)?.hasPrefix("http://127.0.0.1:") == true && env["HTTPS_PROXY"] as? String == env["HTTP_PROXY"] as? String, "\(env)")
        #expect((ok(worker, "proxyGranted") as? [String: Any])?["body"] as? String == "granted server", "\(worker["proxyGranted"] ?? "")")
        #expect((ok(worker, "proxyRefused") as? [String: Any])?["status"] as? Int == 403, "\(worker["proxyRefused"] ?? "")")
        #expect((ok(worker, "tunnelGranted") as? [String: Any])?["body"] as? String == "granted server", "\(worker["tunnelGranted"] ?? "")")
        #expect((ok(worker, "tunnelRefused") as? [String: Any])?["status"] as? Int == 403, "\(worker["tunnelRefused"] ?? "")")
        #expect(ok(worker, "directGranted") == nil, "a direct connection must fail: \(worker["directGranted"] ?? "")")
        #expect(granted.requests >= 2 && refused.requests == 0, "granted \(granted.requests), refused \(refused.requests)")
        // The refusal is in the function's log, for its owner to see.
        let log = try Self.run([Self.binary, "logs", "worker", "--endpoint", "http://127.0.0.1:\(port)"]).output
        #expect(log.contains("corral: egress: refused a destination the execution role does not grant") && log.contains(refused.hostPort), "\(log)")
        // role credentials: boto3 (bound in by the fs grant) invokes the allowed function and is refused another.
        #expect(worker["hasCredentials"] as? Bool == true && (env["AWS_ENDPOINT_URL_LAMBDA"] as? String)?.hasPrefix("http://127.0.0.1:") == true)
        #expect((ok(worker, "invokeHelper") as? [String: Any])?["payload"] as? String == "helped", "\(worker["invokeHelper"] ?? "")")
        let other = ok(worker, "invokeOther") as? [String: Any]
        #expect(other?["code"] as? String == "AccessDeniedException", "\(worker["invokeOther"] ?? "")")
        #expect((other?["message"] as? String)?.contains("assumed-role/worker/") == true, "\(other ?? [:])")

        // The oracle: under corral-basic the same probe sees none of it.
        #expect(ok(basic, "readIn") == nil && ok(basic, "writeOut") == nil && ok(basic, "secrets") == nil, "\(basic)")
        #expect(ok(basic, "proxyGranted") == nil && basic["hasCredentials"] as? Bool == false, "\(basic)")

        // Roles the account does not have are refused as Lambda refuses them.
        for key in ["missingRole", "foreignRole"] {
            let refusal = seen[key] as? [String: Any]
            #expect(refusal?["code"] as? String == "InvalidParameterValueException", "\(key): \(seen[key] ?? "")")
            #expect((refusal?["message"] as? String)?.contains("cannot be assumed by Lambda") == true, "\(key): \(seen[key] ?? "")")
        }
        // `corral policy effective` shows what the worker's role compiles to; the basic role, nothing.
        let effective = try Self.run([Self.binary, "policy", "effective", "worker", "--endpoint", "http://127.0.0.1:\(port)"])
        for line in ["role:     arn:aws:iam::000000000000:role/worker", "  \(root)/in  read-only", "  \(root)/out  read-write", "  \(site)  read-only",
                     "  arn:corral:net:::\(granted.hostPort)", "  /run/secrets/db-password  read-only", "role credentials: yes",
                     "limits:   memory 128 MB (no swap), cpus 1, pids 1024, /tmp 512 MB, timeout 30 s", "seccomp:  default"] {
            #expect(effective.status == 0 && effective.output.contains(line), "missing '\(line)' in:\n\(effective.output)\(effective.errors)")
        }
        #expect(!effective.output.contains("api-token") && !effective.output.contains("hidden"))
        let basicEffective = try Self.run([Self.binary, "policy", "effective", "basic", "--json", "--endpoint", "http://127.0.0.1:\(port)"])
        let basicSandbox = try #require(try JSONSerialization.jsonObject(with: Data(basicEffective.output.utf8)) as? [String: Any], "\(basicEffective)")
        #expect((basicSandbox["Binds"] as? [Any])?.isEmpty == true && (basicSandbox["Secrets"] as? [Any])?.isEmpty == true
            && (basicSandbox["Egress"] as? [Any])?.isEmpty == true && basicSandbox["RoleCredentials"] as? Bool == false, "\(basicSandbox)")

        // The environment's credentials die with it.
        #expect((seen["afterRetire"] as? [String: Any])?["code"] as? String == "UnrecognizedClientException", "\(seen["afterRetire"] ?? "")")
        // Nothing of the secrets stays on the host once environments end.
        _ = server.stop()
        stopped = true
        #expect(Self.filesHolding(password, under: [scratch.directory, "/run/corral"]).filter { !$0.hasPrefix(scratch.directory + "/corral.sqlite") } == [])
        #expect(!FileManager.default.fileExists(atPath: scratch.directory + "/run/secrets"))
    }

    /// Regular files under `roots` whose bytes contain `needle`.
    static func filesHolding(_ needle: String, under roots: [String]) -> [String] {
        let wanted = Data(needle.utf8)
        var found: [String] = []
        for root in roots {
            guard let walk = FileManager.default.enumerator(atPath: root) else { continue }
            while let relative = walk.nextObject() as? String {
                let path = root + "/" + relative
                var info = stat()
                guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size < 64 << 20,
                      let bytes = FileManager.default.contents(atPath: path), bytes.range(of: wanted) != nil else { continue }
                found.append(path)
            }
        }
        return found
    }
}

extension ServerTests {
    @Test("an fsRoot that is a symlink, or lies under a directory others can write, stops the server at start-up; a plain one starts it (the oracle)")
    func plantedRootsAreRefused() throws {
        _ = try Self.gate()
        let mount = try RootsMount("corral-roots")
        defer { mount.remove() }
        let base = mount.base
        for directory in [base + "/beta", base + "/plain", base + "/open/acme"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        chmod(base, 0o755)
        chmod(base + "/open", 0o777)
        // acme's root replaced by a symlink to beta's: what a planted link would become after a restart.
        try FileManager.default.createSymbolicLink(atPath: base + "/acme", withDestinationPath: "beta")
        for (root, says) in [(base + "/acme", "is a symlink"), (base + "/open/acme", "writable by group or others")] {
            let scratch = Scratch("corral-roots")
            defer { scratch.remove() }
            do {
                let server = try Server(data: scratch.directory, port: Self.freePort(), settings: "fsRoots:\n  \"000000000000\": [\(root)]\n")
                _ = server.stop()
                Issue.record("corral serve started with fsRoot \(root)")
            } catch {
                #expect("\(error)".contains(says), "\(root): \(error)")
            }
        }
        let scratch = Scratch("corral-roots")
        defer { scratch.remove() }
        // Oracle: the same configuration with a plain root starts (Server throws when it does not listen).
        let server = try Server(data: scratch.directory, port: Self.freePort(), settings: "fsRoots:\n  \"000000000000\": [\(base)/plain]\n")
        _ = server.stop()
    }
}
