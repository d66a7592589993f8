import CorralEgress
import Glibc
import NIOCore
import Testing

/// The proxy's limits and lifecycle: head size and time, idle connections, the connection cap, connect
/// timeouts, and closing the proxy.
@Suite(.serialized) struct EgressProxyLimitsTests {
    @Test func anOversizedRequestHeadGets431() async throws {
        let port = try unusedPort()
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(port)"], limits: .init(maxRequestHeadBytes: 1024))
        defer { Task { await proxy.stop() } }

        let small = try proxy.client()
        try small.send("GET http://127.0.0.1:\(port)/ HTTP/1.1\r\nX-Pad: \(String(repeating: "a", count: 500))\r\n\r\n")
        #expect(try small.readResponse().status == 502, "a head under the limit is served")

        let large = try proxy.client()
        try large.send("GET http://127.0.0.1:1/ HTTP/1.1\r\nX-Pad: \(String(repeating: "a", count: 2000))\r\n\r\n")
        #expect(try large.readResponse().status == 431)
    }

    @Test func aConnectionThatSendsNoHeadGets408() async throws {
        let proxy = try await ProxyUnderTest.start(["*:*"], limits: .init(requestHeadTimeout: .milliseconds(200)))
        defer { Task { await proxy.stop() } }

        let client = try proxy.client()
        try client.send("GET http://127.0.0.1/ HTTP/1.1\r\n")
        #expect(try client.readResponse().status == 408)
    }

    @Test func anIdleTunnelIsClosed() async throws {
        let server = try await TestServer.start(.echo)
        // 2 s idle: the echo before it fits even on a loaded machine (300 ms did not, once, in CI). The
        // client's own 5 s receive timeout makes a tunnel that never closes fail the read below.
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"], limits: .init(idleTimeout: .seconds(2)))
        defer { Task { await proxy.stop(); await server.stop() } }

        let (client, head) = try proxy.connect("127.0.0.1:\(server.port)")
        #expect(head.status == 200)
        try client.send("a")
        #expect(try client.read(count: 1) == Array("a".utf8), "the tunnel works before it idles")
        #expect(try client.readToEnd().isEmpty, "closed by the idle timeout, not the client's receive timeout")
    }

    @Test func connectionsOverTheLimitGet503() async throws {
        let server = try await TestServer.start(.echo)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"], limits: .init(maxConnections: 2))
        defer { Task { await proxy.stop(); await server.stop() } }

        // Two open tunnels (each answered, so each was admitted) fill the proxy.
        var (first, firstHead): (TestClient?, TestResponse) = try proxy.connect("127.0.0.1:\(server.port)")
        let (second, secondHead) = try proxy.connect("127.0.0.1:\(server.port)")
        #expect(firstHead.status == 200 && secondHead.status == 200)
        let third = try proxy.client()
        let refused = try third.readResponse()
        #expect(refused.status == 503)
        // Once one closes, a new connection is served again.
        first = nil
        var served = false
        for _ in 0..<50 where !served {
            let next = try proxy.client()
            try next.send("GET /relative HTTP/1.1\r\n\r\n")
            served = try next.readResponse().status == 400
            if !served { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(served)
        _ = (first, second)
    }

    @Test func aConnectTimeoutGets504() async throws {
        // A listener whose accept queue is full drops new SYNs: connecting to it hangs.
        let (fd, port) = try makeListeningSocket(backlog: 0)
        defer { close(fd) }
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<3 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = try TestClient.address("127.0.0.1", port)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(filler)
        }
        try await Task.sleep(for: .milliseconds(100))
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(port)"], limits: .init(connectTimeout: .milliseconds(300)))
        defer { Task { await proxy.stop() } }

        let client = try proxy.client()
        try client.send("CONNECT 127.0.0.1:\(port) HTTP/1.1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 504)
        #expect(response.text.contains("timed out"))
    }

    @Test func closingTheProxyClosesItsTunnelsAndItsSocket() async throws {
        let server = try await TestServer.start(.echo)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await server.stop() } }

        let (client, head) = try proxy.connect("127.0.0.1:\(server.port)")
        #expect(head.status == 200)
        await proxy.stop()
        #expect(try client.readToEnd().isEmpty)
        #expect(throws: TestClient.Failure.self) { try proxy.client() }
    }
}
