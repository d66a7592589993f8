import Foundation
import Testing

/// curl, a real proxy client, through the proxy (where curl is installed): plain HTTP, a CONNECT tunnel,
/// a large upload with `Expect: 100-continue`, and a refusal.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
struct CurlClientTests {
    /// curl's output (stdout and stderr) with the given arguments.
    func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--show-error", "--max-time", "10"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    @Test func curlWorksThroughTheProxy() async throws {
        let server = try await TestServer.start(.http)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)", "localhost:\(server.port)"], limits: .init(namesMayReachInternalAddresses: true))
        defer { Task { await proxy.stop(); await server.stop() } }
        let via = ["--proxy", "http://127.0.0.1:\(proxy.port)"]

        #expect(try curl(via + ["http://127.0.0.1:\(server.port)/plain"]).hasPrefix("GET /plain\nhost=127.0.0.1:\(server.port)\n"))
        // --proxytunnel: CONNECT, then HTTP inside the tunnel.
        #expect(try curl(via + ["--proxytunnel", "http://localhost:\(server.port)/tunnelled"]).hasPrefix("GET /tunnelled\nhost=localhost:\(server.port)\n"))

        let upload = FileManager.default.temporaryDirectory.appendingPathComponent("corral-egress-upload-\(UUID().uuidString)")
        try Data(repeating: UInt8(ascii: "u"), count: 3 * 1024 * 1024).write(to: upload)
        defer { try? FileManager.default.removeItem(at: upload) }
        let echoed = try curl(via + ["--data-binary", "@\(upload.path)", "-H", "Expect: 100-continue", "http://127.0.0.1:\(server.port)/upload"])
        #expect(echoed.hasPrefix("POST /upload\n"))
        #expect(echoed.hasSuffix("body=" + String(repeating: "u", count: 3 * 1024 * 1024)))

        #expect(try curl(via + ["--include", "http://127.0.0.2:\(server.port)/"]).hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
        #expect(try curl(via + ["--proxytunnel", "http://127.0.0.1:1/"]).contains("CONNECT tunnel failed, response 403"))
        #expect(server.acceptCount == 3)
    }
}
