import NIOCore
import Testing
@testable import CorralEgress

/// CONNECT through the proxy: tunnels to granted destinations, refusals for the rest. Servers listen on
/// loopback addresses of this machine only.
@Suite(.serialized) struct EgressProxyConnectTests {
    @Test func aGrantedDestinationIsTunnelledBothWays() async throws {
        let server = try await TestServer.start(.echo)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await proxy.stop(); await server.stop() } }

        // Bytes sent right behind the request head (as a TLS ClientHello is) must come through too.
        let (client, head) = try proxy.connect("127.0.0.1:\(server.port)", extra: "early-")
        #expect(head.status == 200)
        #expect(try client.read(count: 6) == Array("early-".utf8))
        try client.send("ping")
        #expect(try client.read(count: 4) == Array("ping".utf8))
        try client.send("pong")
        #expect(try client.read(count: 4) == Array("pong".utf8))
        // Half-close: the client's EOF reaches the server, which closes, and that reaches the client.
        client.shutdownWrite()
        #expect(try client.readToEnd().isEmpty)
        #expect(server.acceptCount == 1)
    }

    @Test func aTunnelCarriesMegabytesInEachDirection() async throws {
        let size = 8 * 1024 * 1024
        let source = try await TestServer.start(.source(size))
        let sink = try await TestServer.start(.sink)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(source.port)", "127.0.0.1:\(sink.port)"])
        defer { Task { await proxy.stop(); await source.stop(); await sink.stop() } }

        let (download, downloadHead) = try proxy.connect("127.0.0.1:\(source.port)")
        #expect(downloadHead.status == 200)
        let received = try download.readToEnd()
        #expect(received.count == size)

        let (upload, uploadHead) = try proxy.connect("127.0.0.1:\(sink.port)")
        #expect(uploadHead.status == 200)
        try upload.send([UInt8](repeating: 7, count: size))
        upload.shutdownWrite()
        #expect(String(decoding: try upload.readToEnd(), as: UTF8.self) == "\(size)")
    }

    @Test func anotherPortOfAGrantedHostIsRefused() async throws {
        let granted = try await TestServer.start(.echo)
        let other = try await TestServer.start(.echo)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(granted.port)"])
        defer { Task { await proxy.stop(); await granted.stop(); await other.stop() } }

        let client = try proxy.client()
        try client.send("CONNECT 127.0.0.1:\(other.port) HTTP/1.1\r\nHost: 127.0.0.1:\(other.port)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 403)
        #expect(response.text.contains("127.0.0.1:\(other.port)"))
        #expect(response.text.contains("execution role does not grant net:Connect"))
        #expect(try client.readToEnd().isEmpty, "the connection closes after a refusal")
        #expect(proxy.loggedRefusal(of: "127.0.0.1:\(other.port)"))
        try await expectUntouched(other)
    }

    @Test func anotherHostOnAGrantedPortIsRefused() async throws {
        let other = try await TestServer.start(host: "127.0.0.2", .echo)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(other.port)", "localhost:\(other.port)"])
        defer { Task { await proxy.stop(); await other.stop() } }

        let client = try proxy.client()
        try client.send("CONNECT 127.0.0.2:\(other.port) HTTP/1.1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 403)
        #expect(response.text.contains("127.0.0.2:\(other.port)"))
        #expect(proxy.loggedRefusal(of: "127.0.0.2:\(other.port)"))
        try await expectUntouched(other)
    }

    @Test func wildcardHostsAndPortsGrantWhatTheyMatch() async throws {
        let server = try await TestServer.start(host: "127.0.0.2", .echo)
        let other = try await TestServer.start(host: "127.0.0.2", .echo)

        // Loopback is internal: wildcards never reach it (InternalAddresses), so the wildcard patterns are
        // served by a proxy that treats every address as public.
        let anyPort = try await ProxyUnderTest.start(["127.0.0.*:*"], isInternal: { _ in false })
        let (client, head) = try anyPort.connect("127.0.0.2:\(server.port)")
        #expect(head.status == 200)
        try client.send("x")
        #expect(try client.read(count: 1) == Array("x".utf8))
        await anyPort.stop()

        let anyHost = try await ProxyUnderTest.start(["1*:\(server.port)"], isInternal: { _ in false })
        let (second, secondHead) = try anyHost.connect("127.0.0.2:\(server.port)")
        #expect(secondHead.status == 200)
        try second.send("y")
        #expect(try second.read(count: 1) == Array("y".utf8))
        let (refused, refusedHead) = try anyHost.connect("127.0.0.2:\(other.port)")
        #expect(refusedHead.status == 403)
        _ = refused
        await anyHost.stop()
        await server.stop()
        try await expectUntouched(other)
        await other.stop()
    }

    @Test func hostNamesAreGrantedCaseInsensitively() async throws {
        let server = try await TestServer.start(.echo)
        // The only name this machine resolves without DNS is localhost, which names may not reach by
        // default (see aNameNeverReachesLoopbackUnlessTheAddressIsGranted); allowed here to test matching.
        let proxy = try await ProxyUnderTest.start(["LOCALHOST:\(server.port)"], limits: .init(namesMayReachInternalAddresses: true))
        defer { Task { await proxy.stop(); await server.stop() } }

        for name in ["localhost", "LocalHost"] {
            let (client, head) = try proxy.connect("\(name):\(server.port)")
            #expect(head.status == 200, "\(name)")
            try client.send("hi")
            #expect(try client.read(count: 2) == Array("hi".utf8))
        }
        // The name grant does not cover the address it resolves to.
        let (_, byAddress) = try proxy.connect("127.0.0.1:\(server.port)")
        #expect(byAddress.status == 403)
        #expect(server.acceptCount == 2)
    }

    @Test func aNameNeverReachesLoopbackUnlessTheAddressIsGranted() async throws {
        let server = try await TestServer.start(.echo)
        let proxy = try await ProxyUnderTest.start(["localhost:\(server.port)", "127.0.0.1:\(server.port)"])
        defer { Task { await proxy.stop(); await server.stop() } }

        // Granted by name, but localhost resolves to loopback: refused, and nothing reaches the server.
        let client = try proxy.client()
        try client.send("CONNECT localhost:\(server.port) HTTP/1.1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 403)
        #expect(response.text.contains("localhost resolves only to") && response.text.contains("grant the address itself"), "\(response.text)")
        #expect(server.acceptCount == 0)
        // The oracle: the literal address, granted, is reached.
        let (tunnel, head) = try proxy.connect("127.0.0.1:\(server.port)")
        #expect(head.status == 200)
        try tunnel.send("hi")
        #expect(try tunnel.read(count: 2) == Array("hi".utf8))
        #expect(server.acceptCount == 1)
    }

    @Test func internalAddressesAreRecognized() throws {
        for (text, expected) in [("127.0.0.1", true), ("127.255.1.2", true), ("169.254.169.254", true), ("0.0.0.0", true), ("::1", true), ("::", true),
                                 ("fe80::1", true), ("::ffff:127.0.0.1", true), ("::ffff:169.254.169.254", true),
                                 ("10.0.0.1", false), ("192.168.1.1", false), ("8.8.8.8", false), ("169.255.0.1", false), ("2001:db8::1", false),
                                 ("fec0::1", false), ("::2", true), ("::ffff:8.8.8.8", false), ("fd00:ec2::254", true), ("::ffff:a9fe:a9fe", true)] {
            #expect(HostResolution.isInternal(try SocketAddress(ipAddress: text, port: 80)) == expected, "\(text)")
        }
    }

    /// Issue 14 item 4: Allow everything by wildcard, and no spelling of the host's loopback gets through
    /// the proxy; the oracle: an exact grant reaches the same server through the mapped spelling.
    @Test func noSpellingOfLoopbackPassesAWildcardGrant() async throws {
        let server = try await TestServer.start(.echo)
        let wide = try await ProxyUnderTest.start(["*:*", "1*:*", "0*:*", "[*]:*", "127.0.0.*:*"])
        for host in ["127.0.0.1", "0.0.0.0", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[::1]", "[::]"] {
            let (_, head) = try wide.connect("\(host):\(server.port)")
            #expect(head.status == 403, "\(host)")
        }
        await wide.stop()
        try await expectUntouched(server)

        let exact = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await exact.stop(); await server.stop() } }
        let (tunnel, head) = try exact.connect("[::ffff:7f00:1]:\(server.port)")
        #expect(head.status == 200)
        try tunnel.send("hi")
        #expect(try tunnel.read(count: 2) == Array("hi".utf8))
    }

    @Test func malformedTargetsGet400AndReachNothing() async throws {
        let server = try await TestServer.start(.echo)
        let proxy = try await ProxyUnderTest.start(["*:*"])
        defer { Task { await proxy.stop(); await server.stop() } }

        for target in ["user@127.0.0.1:\(server.port)", "127.0.0.1", "127.1:\(server.port)", "2130706433:\(server.port)"] {
            let client = try proxy.client()
            try client.send("CONNECT \(target) HTTP/1.1\r\n\r\n")
            #expect(try client.readResponse().status == 400, "\(target)")
        }
        try await expectUntouched(server)
    }

    @Test func anUnreachableGrantedDestinationGets502() async throws {
        let port = try unusedPort()
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(port)"])
        defer { Task { await proxy.stop() } }

        let client = try proxy.client()
        try client.send("CONNECT 127.0.0.1:\(port) HTTP/1.1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 502)
        #expect(response.text.contains("127.0.0.1:\(port)"))
    }
}
