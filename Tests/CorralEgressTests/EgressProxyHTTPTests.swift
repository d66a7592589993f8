import Testing

/// Plain HTTP through the proxy: absolute-form requests forwarded in origin-form to granted destinations.
@Suite(.serialized) struct EgressProxyHTTPTests {
    @Test func aGetIsForwardedInOriginFormWithoutProxyHeaders() async throws {
        let server = try await TestServer.start(.http)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await proxy.stop(); await server.stop() } }

        let client = try proxy.client()
        try client.send("""
            GET http://127.0.0.1:\(server.port)/hello?x=1 HTTP/1.1\r
            Host: wrong.example\r
            Proxy-Connection: keep-alive\r
            Proxy-Authorization: Basic c2VjcmV0\r
            Connection: X-Custom\r
            X-Custom: dropped\r
            \r

            """)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("x-upstream") == "yes")
        #expect(response.header("connection") == "close")
        #expect(response.header("keep-alive") == nil)
        let lines = response.text.split(separator: "\n").map(String.init)
        #expect(lines == [
            "GET /hello?x=1",
            "host=127.0.0.1:\(server.port)",
            "connection=close",
            "proxy-connection=",
            "proxy-authorization=",
            "keep-alive=",
            "x-custom=",
            "body=",
        ])
        #expect(try client.readToEnd().isEmpty, "one request per connection")
    }

    @Test func postBodiesAreForwardedWithContentLengthAndChunked() async throws {
        let server = try await TestServer.start(.http)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await proxy.stop(); await server.stop() } }

        let sized = try proxy.client()
        try sized.send("POST http://127.0.0.1:\(server.port)/sized HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world")
        let sizedResponse = try sized.readResponse()
        #expect(sizedResponse.status == 200)
        #expect(sizedResponse.text.hasPrefix("POST /sized\n"))
        #expect(sizedResponse.text.hasSuffix("body=hello world"))

        let chunked = try proxy.client()
        try chunked.send("POST http://127.0.0.1:\(server.port)/chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        try chunked.send("5\r\nhello\r\n")
        try await Task.sleep(for: .milliseconds(50))
        try chunked.send("6\r\n chunk\r\n0\r\n\r\n")
        let chunkedResponse = try chunked.readResponse()
        #expect(chunkedResponse.status == 200)
        #expect(chunkedResponse.text.hasSuffix("body=hello chunk"))

        let large = String(repeating: "abcdefgh", count: 256 * 1024)
        let big = try proxy.client()
        try big.send("PUT http://127.0.0.1:\(server.port)/big HTTP/1.1\r\nContent-Length: \(large.utf8.count)\r\n\r\n\(large)")
        let bigResponse = try big.readResponse()
        #expect(bigResponse.status == 200)
        #expect(bigResponse.text.hasSuffix("body=\(large)"))
    }

    @Test func aStreamedResponseArrivesWhole() async throws {
        let server = try await TestServer.start(.http)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await proxy.stop(); await server.stop() } }

        let client = try proxy.client()
        try client.send("GET http://127.0.0.1:\(server.port)/stream HTTP/1.1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("transfer-encoding") == "chunked")
        #expect(response.text == "part1-part2-part3")

        // An HTTP/1.0 client gets the same body ended by the end of the connection, not chunked.
        let old = try proxy.client()
        try old.send("GET http://127.0.0.1:\(server.port)/stream HTTP/1.0\r\n\r\n")
        let oldResponse = try old.readResponse()
        #expect(oldResponse.status == 200)
        #expect(oldResponse.header("transfer-encoding") == nil)
        #expect(oldResponse.text == "part1-part2-part3")
    }

    @Test func aHeadRequestGetsNoBody() async throws {
        let server = try await TestServer.start(.http)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(server.port)"])
        defer { Task { await proxy.stop(); await server.stop() } }

        let client = try proxy.client()
        try client.send("HEAD http://127.0.0.1:\(server.port)/stream HTTP/1.1\r\n\r\n")
        let head = try client.readHead()
        #expect(head.status == 200)
        #expect(try client.readToEnd().isEmpty)
    }

    @Test func anUngrantedDestinationIsRefused() async throws {
        let granted = try await TestServer.start(.http)
        let other = try await TestServer.start(host: "127.0.0.2", .http)
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(granted.port)"])
        defer { Task { await proxy.stop(); await granted.stop(); await other.stop() } }

        let client = try proxy.client()
        try client.send("POST http://127.0.0.2:\(other.port)/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        let response = try client.readResponse()
        #expect(response.status == 403)
        #expect(response.text.contains("127.0.0.2:\(other.port)"))
        #expect(proxy.loggedRefusal(of: "127.0.0.2:\(other.port)"))
        try await expectUntouched(other)
    }

    @Test(arguments: [
        "GET /relative HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET https://127.0.0.1:PORT/ HTTP/1.1\r\n\r\n",
        "GET http://user@127.0.0.1:PORT/ HTTP/1.1\r\n\r\n",
        "GET http://127.0.0.1:PORT:1/ HTTP/1.1\r\n\r\n",
        "GET http://0x7f.1:PORT/ HTTP/1.1\r\n\r\n",
        "NONSENSE\r\n\r\n",
    ])
    func requestsThatCannotBeProxiedGet400(_ request: String) async throws {
        let server = try await TestServer.start(.http)
        let proxy = try await ProxyUnderTest.start(["*:*"])
        defer { Task { await proxy.stop(); await server.stop() } }

        let client = try proxy.client()
        try client.send(request.replacing("PORT", with: "\(server.port)"))
        #expect(try client.readResponse().status == 400)
        try await expectUntouched(server)
    }

    @Test func anUnreachableGrantedDestinationGets502() async throws {
        let port = try unusedPort()
        let proxy = try await ProxyUnderTest.start(["127.0.0.1:\(port)"])
        defer { Task { await proxy.stop() } }

        let client = try proxy.client()
        try client.send("GET http://127.0.0.1:\(port)/ HTTP/1.1\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 502)
        #expect(response.text.contains("127.0.0.1:\(port)"))
    }
}
