import Logging
import NIOPosix
import Testing
@testable import CorralEgress

/// The forwarder behind a sandbox's Lambda endpoint: every connection goes to the one fixed destination.
@Suite struct TCPForwarderTests {
    @Test func connectionsReachTheDestinationBothWaysWithHalfClose() async throws {
        let server = try await TestServer.start(.echo)
        let (fd, port) = try makeListeningSocket()
        let forwarder = try await TCPForwarder.start(listeningSocket: fd, to: "127.0.0.1", port: server.port,
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
        let forwarder = try await TCPForwarder.start(listeningSocket: fd, to: "127.0.0.1", port: closed,
                                                     group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"))
        defer { Task { try? await forwarder.close() } }
        let client = try TestClient(port: port)
        #expect(try client.readToEnd().isEmpty)
    }
}
