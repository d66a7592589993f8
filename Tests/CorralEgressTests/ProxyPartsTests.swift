import NIOCore
import NIOHTTP1
import Testing

@testable import CorralEgress

/// The proxy's pure parts: its own answers and the header rules for forwarding.
@Suite struct ProxyPartsTests {
    @Test func connectFailuresMapTo502And504() throws {
        let target = try ProxyTarget.connect("example.com:443")
        #expect(ProxyReply.upstreamFailed(target, ChannelError.connectTimeout(.seconds(10))).status == .gatewayTimeout)
        #expect(ProxyReply.upstreamFailed(target, IOError(errnoCode: 111, reason: "connect")).status == .badGateway)
        #expect(ProxyReply.forbidden(target).status == .forbidden)
        #expect(ProxyReply.forbidden(target).message.contains("example.com:443"))
    }

    @Test func aReplyIsAWholeClosingResponse() {
        let bytes = String(buffer: ProxyReply.busy.bytes)
        #expect(bytes.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(bytes.contains("Connection: close\r\n"))
        #expect(bytes.hasSuffix("\r\n\r\nToo many connections to the egress proxy.\n"))
        #expect(bytes.contains("Content-Length: \(ProxyReply.busy.body.readableBytes)\r\n"))
    }

    @Test func hopByHopFieldsAreRemovedButFramingStays() {
        var headers = HTTPHeaders([
            ("Connection", "keep-alive, X-Secret, Content-Length, Transfer-Encoding"),
            ("Keep-Alive", "timeout=5"), ("Proxy-Authorization", "Basic x"), ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"), ("Upgrade", "websocket"), ("X-Secret", "1"), ("Content-Length", "3"),
            ("Transfer-Encoding", "chunked"), ("Accept", "*/*"),
        ])
        headers.removeHopByHopFields()
        #expect(headers.map(\.name) == ["Content-Length", "Transfer-Encoding", "Accept"])
    }

    @Test func theUpstreamRequestIsOriginFormWithTheURIsHost() throws {
        let target = try ProxyTarget.absolute("http://Example.com:8080/a?b")
        let head = HTTPRequestHead(version: .http1_0, method: .GET, uri: "http://Example.com:8080/a?b", headers: ["Host": "other", "Accept": "*/*"])
        let upstream = ProxyRequestHandler.upstreamHead(head, target: target, path: target.path ?? "")
        #expect(upstream.uri == "/a?b")
        #expect(upstream.version == .http1_1)
        #expect(upstream.headers["Host"] == ["example.com:8080"])
        #expect(upstream.headers["Connection"] == ["close"])
        #expect(upstream.headers["Accept"] == ["*/*"])
    }
}
