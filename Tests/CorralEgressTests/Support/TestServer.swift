import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A TCP server on a loopback address for the tests, counting the connections it accepts: the oracle that
/// shows whether the proxy reached it.
final class TestServer: Sendable {
    enum Behavior: Sendable {
        /// Sends back what it reads; closes when the client finishes sending.
        case echo
        /// Sends this many bytes, then closes.
        case source(Int)
        /// Reads until the client finishes sending, then answers with the byte count and closes.
        case sink
        /// HTTP/1.1: answers each request with what it received (see `HTTPEchoHandler`).
        case http
    }

    let host: String
    let port: Int
    private let channel: any Channel
    private let counters: Counters

    /// How many connections the server has accepted.
    var acceptCount: Int { counters.accepted.withLock { $0 } }

    /// How many bytes of `.source` data, or of a `/large` HTTP response, the kernel has taken so far: while a
    /// client reads nothing, this stays near the socket buffers' size if the proxy applies backpressure.
    var bytesSent: Int { counters.sent.withLock { $0 } }

    private init(host: String, port: Int, channel: any Channel, counters: Counters) {
        self.host = host
        self.port = port
        self.channel = channel
        self.counters = counters
    }

    /// `tls`: serve TLS with this context before the behaviour.
    static func start(host: String = "127.0.0.1", port: Int = 0, tls: NIOSSLContext? = nil, _ behavior: Behavior) async throws -> TestServer {
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                counters.accepted.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    switch behavior {
                    case .echo: try pipeline.addHandler(EchoHandler())
                    case let .source(count): try pipeline.addHandler(SourceHandler(count: count, sent: counters))
                    case .sink: try pipeline.addHandler(SinkHandler())
                    case .http:
                        try pipeline.configureHTTPServerPipeline()
                        try pipeline.addHandler(HTTPEchoHandler(sent: counters))
                    }
                }
            }
            .bind(host: host, port: port)
            .get()
        return TestServer(host: host, port: channel.localAddress?.port ?? 0, channel: channel, counters: counters)
    }

    func stop() async {
        try? await channel.close()
    }

    /// What a server has seen: connections accepted, bytes the kernel took.
    final class Counters: Sendable {
        let accepted = Mutex(0)
        let sent = Mutex(0)
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { context.close(promise: nil) }
    }
}

/// Writes `count` bytes in 64 KiB pieces, counting each piece the kernel takes.
private func writeCounted<Part>(_ count: Int, _ context: ChannelHandlerContext, _ sent: TestServer.Counters, wrap: (ByteBuffer) -> Part) -> EventLoopFuture<Void> {
    var left = count
    var last = context.eventLoop.makeSucceededVoidFuture()
    while left > 0 {
        let size = min(left, 65536)
        last = context.write(NIOAny(wrap(ByteBuffer(repeating: UInt8(ascii: "x"), count: size))))
        last.whenSuccess { sent.sent.withLock { $0 += size } }
        left -= size
    }
    context.flush()
    return last
}

private final class SourceHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let count: Int
    let sent: TestServer.Counters

    init(count: Int, sent: TestServer.Counters) {
        self.count = count
        self.sent = sent
    }

    func channelActive(context: ChannelHandlerContext) {
        writeCounted(count, context, sent) { $0 }.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

private final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var count = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { count += unwrapInboundIn(data).readableBytes }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .inputClosed? = event as? ChannelEvent else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\(count)"))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// Answers every request with a plain-text account of it: the request line, the Host header, the
/// connection-specific headers that reached it, and the body. `/stream` answers in three flushed chunks
/// with no Content-Length instead; `/large/N` answers with N bytes.
private final class HTTPEchoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private let sent: TestServer.Counters

    init(sent: TestServer.Counters) {
        self.sent = sent
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            self.head = head
            body.clear()
        case var .body(chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            respond(context, head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        if head.uri.hasPrefix("/large/") {
            let size = Int(head.uri.dropFirst(7)) ?? 0
            let headers = HTTPHeaders([("Content-Length", "\(size)")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            _ = writeCounted(size, context, sent) { HTTPServerResponsePart.body(.byteBuffer($0)) }
            finish(context, head)
            return
        }
        if head.uri == "/stream" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok))), promise: nil)
            for part in ["part1-", "part2-", "part3"] {
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: part)))), promise: nil)
            }
            finish(context, head)
            return
        }
        let seen = ["connection", "proxy-connection", "proxy-authorization", "keep-alive", "x-custom"]
            .map { "\($0)=\(head.headers[$0].joined(separator: ","))" }
        let text = """
            \(head.method.rawValue) \(head.uri)
            host=\(head.headers["host"].joined(separator: ","))
            \(seen.joined(separator: "\n"))
            body=\(String(buffer: body))
            """
        let reply = ByteBuffer(string: text)
        var headers = HTTPHeaders([("Content-Length", "\(reply.readableBytes)"), ("X-Upstream", "yes")])
        headers.add(name: "Keep-Alive", value: "timeout=5")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(reply))), promise: nil)
        finish(context, head)
    }

    private func finish(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !head.isKeepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
