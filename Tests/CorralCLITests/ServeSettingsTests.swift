import Foundation
import Testing

/// `corral serve` refuses settings that would expose what only the operator may see, before it starts.
@Suite struct ServeSettingsTests {
    private func serve(metrics: String) throws -> CorralBinary.Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("corral-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = scratch.appendingPathComponent("corral.yaml")
        try "metrics: \"\(metrics)\"\n".write(to: config, atomically: true, encoding: .utf8)
        return try CorralBinary.run(["serve", "--config", config.path, "--data", scratch.appendingPathComponent("data").path, "--listen", "127.0.0.1:1", "--check"])
    }

    @Test(arguments: ["0.0.0.0:9464", "192.0.2.1:9464", "[::]:9464", "example.com:9464"])
    func anUnauthenticatedMetricsListenerBeyondLoopbackIsRefused(_ listener: String) throws {
        let result = try serve(metrics: listener)
        #expect(result.status != 0 && result.stderr.contains("unauthenticated beyond this host"), "\(result)")
    }

    @Test func aLoopbackMetricsListenerIsAccepted() throws {
        let result = try serve(metrics: "127.0.0.1:9464")
        #expect(result.status == 0, "the oracle: the same check lets loopback through: \(result)")
    }
}
