import Testing

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

        let anyPort = try await ProxyUnderTest.start(["127.0.0.*:*"])
        let (client, head) = try anyPort.connect("127.0.0.2:\(server.port)")
        #expect(head.status == 200)
        try client.send("x")
        #expect(try client.read(count: 1) == Array("x".utf8))
        await anyPort.stop()

        let anyHost = try await ProxyUnderTest.start(["*:\(server.port)"])
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
        let proxy = try await ProxyUnderTest.start(["LOCALHOST:\(server.port)"])
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
