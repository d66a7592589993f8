import Foundation
import Testing

/// Issue 14 item 2: what one function can hold of the supervisor through the listeners in its sandbox.
extension ServerTests {
    /// Open fds and resident memory (MB) of process `pid`.
    static func usage(of pid: Int32) -> (fds: Int, residentMB: Int)? {
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return (fds.count, kilobytes / 1024)
    }

    @Test("a function flooding its Runtime API with connections and unfinished 6 MB bodies holds neither the supervisor's fds nor its memory (ulimit -n 1024), and another tenant's invocations go on")
    func runtimeAPIFlood() throws {
        _ = try Self.gate()
        guard let runtime = RuntimeCatalogProbe.python else { throw Unavailable(description: "no /usr/bin/python3.N") }
        let scratch = Scratch("corral-flood")
        defer { scratch.remove() }
        let data = ["--data", scratch.directory]
        let port = Self.freePort()
        let endpoint = ["--endpoint", "http://127.0.0.1:\(port)"]
        let first = try Server(data: scratch.directory, port: port)
        func tenant(_ name: String, _ account: String) throws -> [String] {
            let created = try Self.run([Self.binary, "admin", "tenant", "create", name, "--account", account, "--json"] + data)
            let key = (try? JSONSerialization.jsonObject(with: Data(created.output.utf8))) as? [String: Any] ?? [:]
            try #require(key["accessKeyId"] != nil, "\(created)")
            return ["/usr/bin/env", "AWS_ACCESS_KEY_ID=\(key["accessKeyId"] ?? "")", "AWS_SECRET_ACCESS_KEY=\(key["secretAccessKey"] ?? "")"]
        }
        let attacker = try tenant("attacker", "111122223333"), victim = try tenant("victim", "222233334444")
        _ = first.stop()
        // As a service manager may start it: 1024 open files, soft and hard (no raise possible).
        let server = try Server(data: scratch.directory, port: port, openFiles: 1024)
        var running = true
        defer { if running { _ = server.stop() } }
        #expect(server.output.contains("at most 4 execution environments"), "the fd budget cut the environments: \(server.output)")

        try scratch.writeCode(app: """
            import os, socket, time
            def handler(event, context):
                if event.get("echo"):
                    return {"echo": True}
                host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
                socks = []
                for _ in range(event["connections"]):
                    try:
                        socks.append(socket.create_connection((host, int(port)), timeout=5))
                    except OSError:
                        break
                time.sleep(0.5)
                admitted, busy, other = [], 0, 0
                for s in socks:
                    s.settimeout(0.05)
                    try:
                        answer = s.recv(64)
                    except socket.timeout:
                        admitted.append(s)
                        continue
                    except OSError:
                        other += 1
                        continue
                    if answer.startswith(b"HTTP/1.1 503"):
                        busy += 1
                    else:
                        other += 1
                # On every admitted connection, the start of a 6 MB response that never ends.
                head = b"POST /2018-06-01/runtime/invocation/none/response HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 6000000\\r\\n\\r\\n"
                large = []
                for s in admitted[:-1]:
                    s.settimeout(5)
                    try:
                        s.sendall(head + b"a" * 1_000_000)
                    except OSError:
                        pass
                time.sleep(0.5)
                for s in admitted[:-1]:
                    s.settimeout(0.2)
                    try:
                        large.append(s.recv(64)[:12].decode())
                    except socket.timeout:
                        large.append("pending")
                    except OSError as e:
                        large.append(type(e).__name__)
                last = admitted[-1]
                last.settimeout(5)
                last.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\n\\r\\nhello")
                next_with_body = last.recv(64)[:12].decode()
                time.sleep(event["hold"])
                opened = len(socks)
                for s in socks:
                    s.close()
                return {"opened": opened, "admitted": len(admitted), "busy": busy, "other": other, "large": large, "nextWithBody": next_with_body}
            """)
        for (caller, name) in [(attacker, "flood"), (victim, "steady")] {
            let deployed = try Self.run(caller + [Self.binary, "deploy", scratch.code, "--name", name, "--runtime", runtime, "--handler", "app.handler", "--timeout", "60"] + endpoint)
            #expect(deployed.status == 0, "\(deployed)")
        }
        func steadyInvoke() throws -> (ok: Bool, seconds: Double) {
            let start = Date()
            let result = try Self.run(victim + [Self.binary, "invoke", "steady", "--payload", #"{"echo": true}"#] + endpoint)
            return (result.status == 0 && result.output.contains("\"echo\""), Date().timeIntervalSince(start))
        }
        var before: [(ok: Bool, seconds: Double)] = []
        for _ in 0..<3 { before.append(try steadyInvoke()) }
        #expect(before.allSatisfy { $0.ok }, "\(before)")
        let baseline = try #require(Self.usage(of: server.process.processIdentifier))

        // The flood, in the background, while the victim keeps invoking and the supervisor is watched.
        let flood = Process()
        flood.executableURL = URL(fileURLWithPath: attacker[0])
        flood.arguments = Array(attacker.dropFirst()) + [Self.binary, "invoke", "flood", "--payload", #"{"connections": 900, "hold": 4}"#] + endpoint
        flood.environment = Self.clientEnvironment()
        let floodOut = Pipe()
        flood.standardOutput = floodOut
        try flood.run()
        var peak = baseline
        var during: [(ok: Bool, seconds: Double)] = []
        while flood.isRunning {
            if let now = Self.usage(of: server.process.processIdentifier) {
                peak = (max(peak.fds, now.fds), max(peak.residentMB, now.residentMB))
            }
            during.append(try steadyInvoke())
        }
        let report = (try? JSONSerialization.jsonObject(with: floodOut.fileHandleForReading.readDataToEndOfFile())) as? [String: Any] ?? [:]
        print("runtimeAPIFlood: supervisor fds \(baseline.fds) -> peak \(peak.fds), resident \(baseline.residentMB) -> peak \(peak.residentMB) MB; "
              + "victim invoke seconds before \(before.map { $0.seconds }), during \(during.map { $0.seconds }); flood \(report)")

        // The flood really happened: hundreds of connections opened, the cap answered the rest with 503.
        let opened = report["opened"] as? Int ?? 0, admitted = report["admitted"] as? Int ?? 0, busy = report["busy"] as? Int ?? 0
        #expect(opened >= 500, "\(report)")
        #expect((7...8).contains(admitted) && busy == opened - admitted && report["other"] as? Int == 0, "\(report)")
        // One large body at a time: one is being received (whichever crossed 64 KiB first), every other got
        // 429. Without the connection cap every connection would be admitted and hold 1 MB of the
        // supervisor's memory: the resident-memory check below would see hundreds of MB.
        let large = report["large"] as? [String] ?? []
        #expect(large.filter { $0 == "pending" }.count == 1 && large.filter { $0 == "HTTP/1.1 429" }.count == admitted - 2, "\(large)")
        #expect(report["nextWithBody"] as? String == "HTTP/1.1 400", "\(report)")
        // The supervisor kept its fds and memory; the other tenant was served throughout.
        #expect(peak.fds < 512, "supervisor fds: \(baseline.fds) -> \(peak.fds)")
        #expect(peak.residentMB - baseline.residentMB < 64, "supervisor resident memory: \(baseline.residentMB) -> \(peak.residentMB) MB")
        #expect(!during.isEmpty && during.allSatisfy { $0.ok }, "\(during)")

        running = false
        #expect(server.stop() == 0, "\(server.output)")
        #expect(Self.leftoverCgroups().isEmpty, "cgroups left: \(Self.leftoverCgroups())")
    }
}
