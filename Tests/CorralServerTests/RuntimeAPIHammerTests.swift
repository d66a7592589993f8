import Foundation
import Testing

/// Issue 14 item 3: the Runtime API answers each request exactly once, also while environments are
/// destroyed at their timeouts with requests parked, answered twice and given up (hammer.py). A debug
/// build aborts on a second answer (NIO's "Unexpectedly received a response"), which ends the server:
/// the oracle is that the server is still running and serving afterwards.
extension ServerTests {
    @Test("invocation/next hammered at invocation timeouts: every invocation gets one answer, and the debug-build server keeps serving")
    func runtimeAPIHammeredAtTimeouts() throws {
        let python = try Self.gate()
        let scratch = Scratch("hammer")
        defer { scratch.remove() }
        let port = Self.freePort()
        let server = try Server(data: scratch.directory, port: port)
        defer { _ = server.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("hammer.py").path
        let rounds = 90
        let result = try Self.run(["/usr/bin/env", python, script, "http://127.0.0.1:\(port)", String(rounds)])
        let seen = try #require((try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any],
                                "hammer.py: \(result)\n--- server\n\(server.output)")
        let hammered = try #require(seen["hammered"] as? [[String: Any]])
        #expect(hammered.count == rounds)
        for outcome in hammered {
            // Answered by Lambda's rules: 200, and either the first response or the timeout (an unhandled
            // error). Never a transport failure, never nothing.
            #expect(outcome["status"] as? Int == 200, "\(outcome)")
            if outcome["error"] is NSNull {
                #expect(["\"first\"", "\"from a racer\""].contains(outcome["payload"] as? String), "\(outcome)")
            } else {
                #expect(outcome["error"] as? String == "Unhandled", "\(outcome)")
            }
        }
        #expect(hammered.contains { ($0["payload"] as? String)?.contains("Task timed out") == true }, "the timeouts were reached: \(hammered)")
        let after = try #require(seen["after"] as? [String: Any])
        #expect(after["payload"] as? String == "\"still serving\"", "\(after)")
        #expect(server.process.isRunning, "the server survived")
        #expect(!server.output.contains("Unexpectedly received") && !server.output.contains("Fatal error"), "\(server.output.suffix(2000))")
    }
}
