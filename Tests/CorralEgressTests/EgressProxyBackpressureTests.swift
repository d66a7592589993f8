import Testing

/// Backpressure: while the client reads nothing, the proxy stops reading from the destination, so the
/// destination can hand the kernel no more than the sockets' buffers hold (a few MiB), not the whole 64 MiB
/// (which a proxy that buffers without bound would take in at once).
@Suite(.serialized) struct EgressProxyBackpressureTests {
    static let size = 64 * 1024 * 1024

    @Test func aTunnelReadsNoFasterThanTheClient() async throws {
        let source = try await TestServer.start(.source(Self.size))
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(source.port)"])
        defer { Task { await proxy.stop(); await source.stop() } }

        let (client, head) = try proxy.connect("127.0.0.1:\(source.port)")
        #expect(head.status == 200)
        try await Self.expectHeldBack(source)
        #expect(try client.readToEnd().count == Self.size)
    }

    @Test func aForwardedResponseIsReadNoFasterThanTheClient() async throws {
        let server = try await TestServer.start(.http)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await proxy.stop(); await server.stop() } }

        let client = try proxy.client()
        try client.send("GET http://127.0.0.1:\(server.port)/large/\(Self.size) HTTP/1.1\r\n\r\n")
        try await Self.expectHeldBack(server)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body.count == Self.size)
    }

    /// The destination started sending, and a second later has still sent less than half.
    static func expectHeldBack(_ server: TestServer) async throws {
        #expect(await eventually { server.bytesSent > 0 })
        try await Task.sleep(for: .seconds(1))
        #expect(server.bytesSent < size / 2, "the proxy read \(server.bytesSent) bytes ahead of a client that reads nothing")
    }
}
