import Foundation
import Testing

/// Limits over many environments: the cgroup parent caps every sandbox together, each tenant's group
/// caps its share, and a tenant with no quota of its own gets the default concurrency quota.
extension ServerTests {
    /// A command started now and collected later.
    final class Running {
        let process = Process()
        let out = Pipe(), err = Pipe()

        init(_ argv: [String]) throws {
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
            process.environment = ServerTests.clientEnvironment()
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        func finish() -> (status: Int32, output: String, errors: String) {
            let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
        }
    }

    /// A cgroup file of the servers' parent (or of `group` beneath it): pids in the pids hierarchy on v1,
    /// the tree on v2.
    static func groupFile(_ group: String?, _ file: String) -> String? {
        let tail = cgroupParent + (group.map { "/" + $0 } ?? "") + "/" + file
        let controller = file.hasPrefix("pids.") ? "pids" : "memory"
        for path in ["/sys/fs/cgroup/" + tail, "/sys/fs/cgroup/\(controller)/" + tail] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        return nil
    }

    @Test("thread bombs in many environments stay inside the parent's and their tenant's pids caps; the other tenant and the host still start tasks; the default tenant quota throttles")
    func aggregateLimits() throws {
        _ = try Self.gate()
        guard let runtime = RuntimeCatalogProbe.python else { throw Unavailable(description: "no /usr/bin/python3.N") }
        let scratch = Scratch("corral-bombs")
        defer { scratch.remove() }
        // Four environments, 2048 tasks for all of them: a tenant without a quota of its own may run three
        // at once (three quarters) and hold 1536 tasks; each environment alone may hold 1024.
        let port = Self.freePort()
        let server = try Server(data: scratch.directory, port: port, settings: "capacityMemoryMB: 1024\ncapacityEnvironments: 4\ncapacityPids: 2048\n")
        defer { _ = server.stop() }
        let endpoint = ["--endpoint", "http://127.0.0.1:\(port)"]
        let data = ["--data", scratch.directory]
        func tenant(_ name: String, _ account: String) throws -> [String] {
            let created = try Self.run([Self.binary, "admin", "tenant", "create", name, "--account", account, "--json"] + data)
            let key = (try? JSONSerialization.jsonObject(with: Data(created.output.utf8))) as? [String: Any] ?? [:]
            try #require(key["accessKeyId"] != nil, "\(created)")
            return ["/usr/bin/env", "AWS_ACCESS_KEY_ID=\(key["accessKeyId"] ?? "")", "AWS_SECRET_ACCESS_KEY=\(key["secretAccessKey"] ?? "")"]
        }
        let alpha = try tenant("alpha", "111122223333"), beta = try tenant("beta", "222233334444")
        // The bomb: threads until the kernel refuses one, held for `hold` seconds, then let go.
        try scratch.writeCode(app: """
            import threading, time
            def handler(event, context):
                threading.stack_size(65536)
                stop, threads = threading.Event(), []
                while True:
                    try:
                        t = threading.Thread(target=stop.wait)
                        t.start()
                    except RuntimeError:
                        break
                    threads.append(t)
                time.sleep(event.get("hold", 0))
                stop.set()
                for t in threads: t.join()
                return {"threads": len(threads)}
            """)
        for caller in [alpha, beta] {
            let deployed = try Self.run(caller + [Self.binary, "deploy", scratch.code, "--name", "bomb", "--runtime", runtime, "--handler", "app.handler",
                                                  "--memory", "256", "--timeout", "120"] + endpoint)
            try #require(deployed.status == 0, "\(deployed)")
        }
        #expect(Self.groupFile(nil, "pids.max") == "2048")
        #expect(Self.groupFile(nil, "memory.max") == "\(1024 << 20)" || Self.groupFile(nil, "memory.limit_in_bytes") == "\(1024 << 20)")

        // Three of alpha's bombs at once, holding what they took for 20 s.
        let bombs = try (0..<3).map { _ in try Running(alpha + [Self.binary, "invoke", "bomb", "--payload", #"{"hold": 20}"#] + endpoint) }
        let alphaGroup = "t-111122223333"
        var peak = 0
        for _ in 0..<300 {
            peak = max(peak, Int(Self.groupFile(alphaGroup, "pids.current") ?? "") ?? 0)
            if peak >= 1400 { break }
            usleep(50_000)
        }
        #expect(Self.groupFile(alphaGroup, "pids.max") == "1536")
        // A fourth of alpha's is over its default quota (three) and throttled, though the host has room for
        // a fourth environment: beta's, next, runs (the oracle).
        let fourth = try Self.run(alpha + [Self.binary, "invoke", "bomb"] + endpoint)
        #expect(fourth.status != 0 && (fourth.output + fourth.errors).contains("TooManyRequestsException"), "\(fourth)")
        // While alpha holds its share, beta's bomb still gets threads, and the host still starts processes.
        let betaRun = try Self.run(beta + [Self.binary, "invoke", "bomb", "--payload", #"{"hold": 1}"#] + endpoint)
        let betaThreads = ((try? JSONSerialization.jsonObject(with: Data(betaRun.output.utf8))) as? [String: Any])?["threads"] as? Int ?? -1
        #expect(betaThreads >= 256, "\(betaRun)")
        let parentPeak = Int(Self.groupFile(nil, "pids.current") ?? "") ?? 0
        for _ in 0..<20 { #expect(try Self.run(["/bin/true"]).status == 0) }
        let alphaThreads = bombs.map { bomb -> Int in
            let result = bomb.finish()
            return ((try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any])?["threads"] as? Int ?? -1
        }
        // Alpha's three together stayed within its 1536; more than one environment's 1024 shows the bombs
        // went on past one sandbox's own cap (the oracle that the probe would see a missing tenant cap).
        let total = alphaThreads.reduce(0, +)
        #expect(alphaThreads.allSatisfy { $0 >= 0 } && total <= 1536 && total > 1024, "alpha's bombs: \(alphaThreads)")
        #expect(peak <= 1536 && parentPeak <= 2048, "alpha's group peaked at \(peak), the parent at \(parentPeak)")
    }
}
