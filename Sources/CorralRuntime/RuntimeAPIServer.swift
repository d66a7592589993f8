import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves the Lambda Runtime API (2018-06-01) for one execution environment on a socket already listening
/// inside the sandbox's network namespace (NetworkNamespace.listenTCP). SwiftNIO accepts on it from the
/// supervisor's side; the runtime inside reaches it at 127.0.0.1:port.
enum RuntimeAPIServer {
    static func start(listeningSocket fd: Int32, session: RuntimeSession, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(session: session))
                }
            }
            .withBoundSocket(fd)
            .get()
    }
}

/// One connection of the runtime: collects each request, then answers it through the session. A
/// `invocation/next` may be answered much later, from another thread: replies go through the channel.
final class RuntimeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let session: RuntimeSession
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyBytes = 0

    init(session: RuntimeSession) {
        self.session = session
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            self.head = head
            body.clear()
            bodyBytes = 0
        case var .body(chunk):
            bodyBytes += chunk.readableBytes
            // Keep one byte past the limit: enough to know the response was too large.
            if body.readableBytes <= runtimeResponseLimit { body.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            route(head, Array(body.readableBytesView), size: bodyBytes, channel: context.channel)
        }
    }

    private func route(_ head: HTTPRequestHead, _ body: [UInt8], size: Int, channel: any Channel) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let parts = path.split(separator: "/").map(String.init)
        let keepAlive = head.isKeepAlive
        guard parts.count >= 3, parts[0] == "2018-06-01", parts[1] == "runtime" else {
            Self.send(channel, status: .notFound, json: #"{"errorMessage":"Unknown Runtime API path","errorType":"NotFound"}"#, keepAlive: keepAlive)
            return
        }
        let route = Array(parts.dropFirst(2))
        let errorType = head.headers.first(name: "Lambda-Runtime-Function-Error-Type")
        if head.method == .GET, route == ["invocation", "next"] {
            session.next { invocation in
                guard let invocation else {
                    Self.send(channel, status: .internalServerError, json: #"{"errorMessage":"The environment is shutting down","errorType":"Runtime.ExitError"}"#, keepAlive: false)
                    return
                }
                Self.send(channel, status: .ok, headers: invocation.nextHeaders, body: invocation.payload, keepAlive: keepAlive)
            }
        } else if head.method == .POST, route.count == 3, route[0] == "invocation", route[2] == "response" {
            let outcome: InvocationOutcome = size > runtimeResponseLimit ? .responseTooLarge(size) : .response(body)
            reply(session.finish(requestID: route[1], with: outcome), channel, keepAlive)
        } else if head.method == .POST, route.count == 3, route[0] == "invocation", route[2] == "error" {
            reply(session.finish(requestID: route[1], with: .functionError(body, type: errorType)), channel, keepAlive)
        } else if head.method == .POST, route == ["init", "error"] {
            reply(session.initFailed(body, type: errorType), channel, keepAlive)
        } else {
            Self.send(channel, status: .notFound, json: #"{"errorMessage":"Unknown Runtime API path","errorType":"NotFound"}"#, keepAlive: keepAlive)
        }
    }

    private func reply(_ reply: RuntimeSession.Reply, _ channel: any Channel, _ keepAlive: Bool) {
        switch reply {
        case .accepted:
            Self.send(channel, status: .accepted, json: #"{"status":"OK"}"#, keepAlive: keepAlive)
        case let .error(status, type, message):
            let body = (try? JSONSerialization.data(withJSONObject: ["errorMessage": message, "errorType": type])) ?? Data()
            Self.send(channel, status: .init(statusCode: status), headers: [("Content-Type", "application/json")], body: Array(body), keepAlive: keepAlive)
        }
    }

    private static func send(_ channel: any Channel, status: HTTPResponseStatus, json: String, keepAlive: Bool) {
        send(channel, status: status, headers: [("Content-Type", "application/json")], body: Array(json.utf8), keepAlive: keepAlive)
    }

    /// Writes one whole response; safe from any thread (one hop to the channel's event loop, not three).
    static func send(_ channel: any Channel, status: HTTPResponseStatus, headers: [(String, String)], body: [UInt8], keepAlive: Bool) {
        var fields = HTTPHeaders(headers)
        fields.replaceOrAdd(name: "Content-Length", value: String(body.count))
        if !keepAlive { fields.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: fields)
        let write = {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
            let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
        }
        if channel.eventLoop.inEventLoop { write() } else { channel.eventLoop.execute(write) }
    }
}
