import Logging
import NIOPosix
import NIOSSL
import Testing
@testable import CorralEgress

/// The forwarder behind a sandbox's Lambda endpoint: every connection goes to the one fixed destination.
@Suite struct TCPForwarderTests {
    @Test func connectionsReachTheDestinationBothWaysWithHalfClose() async throws {
        let server = try await TestServer.start(.echo)
        let (fd, port) = try makeListeningSocket()
        let forwarder = try await TCPForwarder.start(listeningSocket: fd, to: ForwardTarget(host: "127.0.0.1", port: server.port),
                                                     group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        defer { Task { try? await forwarder.close(); await server.stop() } }
        for round in 0..<2 {
            let client = try TestClient(port: port)
            try client.send("hello \(round)")
            #expect(try client.read(count: 7) == Array("hello \(round)".utf8))
            client.shutdownWrite()
            #expect(try client.readToEnd().isEmpty)
        }
        #expect(server.acceptCount == 2)
    }

    @Test func aDestinationThatRefusesClosesTheClient() async throws {
        let closed = try unusedPort()
        let (fd, port) = try makeListeningSocket()
        let forwarder = try await TCPForwarder.start(listeningSocket: fd, to: ForwardTarget(host: "127.0.0.1", port: closed),
                                                     group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        defer { Task { try? await forwarder.close() } }
        let client = try TestClient(port: port)
        #expect(try client.readToEnd().isEmpty)
    }

    /// Issue 14 item 2: a sandbox holds at most `maxConnections` of the supervisor's forwarded connections.
    @Test func connectionsOverTheLimitAreClosedAndTheLimitFreesAsTheyEnd() async throws {
        let server = try await TestServer.start(.echo)
        let (fd, port) = try makeListeningSocket()
        let forwarder = try await TCPForwarder.start(listeningSocket: fd, to: ForwardTarget(host: "127.0.0.1", port: server.port),
                                                     group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"), maxConnections: 2)
        defer { Task { try? await forwarder.close(); await server.stop() } }
        var held: [TestClient] = []
        for round in 0..<2 {
            let client = try TestClient(port: port)
            try client.send("in \(round)")
            #expect(try client.read(count: 4) == Array("in \(round)".utf8), "admitted and forwarded")
            held.append(client)
        }
        let third = try TestClient(port: port)
        #expect(try third.readToEnd().isEmpty, "closed at once")
        #expect(server.acceptCount == 2)
        // One ends: a new connection is forwarded again (the oracle that the limit, not the destination, closed the third).
        held.removeFirst().shutdownWrite()
        var forwarded = false
        for _ in 0..<50 where !forwarded {
            let next = try TestClient(port: port)
            try? next.send("ok")
            forwarded = (try? next.read(count: 2)) == Array("ok".utf8)
            if !forwarded { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(forwarded)
        _ = held
    }

    /// Issue 14 item 6: toward a TLS listener the forwarder speaks TLS, and only to the certificate it pins.
    @Test func aPinnedTLSDestinationIsReachedInTLS() async throws {
        let served = try TestCertificate(name: "corral-api")
        let server = try await TestServer.start(tls: try served.serverContext(), .echo)
        let (fd, port) = try makeListeningSocket()
        let forwarder = try await TCPForwarder.start(listeningSocket: fd, to: ForwardTarget(host: "127.0.0.1", port: server.port, tls: try PinnedCertificate(chain: served.chain)),
                                                     group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        defer { Task { try? await forwarder.close(); await server.stop() } }
        let client = try TestClient(port: port)
        try client.send("in the clear only inside")
        #expect(try client.read(count: 24) == Array("in the clear only inside".utf8))
    }

    @Test func aTLSDestinationPresentingAnotherCertificateIsRefused() async throws {
        let served = try TestCertificate(name: "corral-api"), pinned = try TestCertificate(name: "corral-api")
        let server = try await TestServer.start(tls: try served.serverContext(), .echo)
        let (fd, port) = try makeListeningSocket()
        let forwarder = try await TCPForwarder.start(listeningSocket: fd, to: ForwardTarget(host: "127.0.0.1", port: server.port, tls: try PinnedCertificate(chain: pinned.chain)),
                                                     group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        defer { Task { try? await forwarder.close(); await server.stop() } }
        let client = try TestClient(port: port)
        try client.send("for the real server only")
        // The same name on another key: the handshake fails, nothing comes back and the connection closes.
        #expect(try client.readToEnd().isEmpty)
        #expect(server.acceptCount == 1, "the forwarder did connect: the pin, not the network, refused")
    }
}
