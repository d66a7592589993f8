import CorralEgress
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Serves the Lambda Runtime API (2018-06-01) for one execution environment on a socket already listening
/// inside the sandbox's network namespace (NetworkNamespace.listenTCP). SwiftNIO accepts on it from the
/// supervisor's side; the runtime inside reaches it at 127.0.0.1:port.
enum RuntimeAPIServer {
    static func start(listeningSocket fd: Int32, session: RuntimeSession, group: any EventLoopGroup) async throws -> any Channel {
        let connections = ConnectionLimit(limit: ListenerLimits.runtimeConnections)
        let largeBody = LargeBodySlot()
        let channel = try await ServerBootstrap(group: group)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.admit(channel) else {
                        try channel.pipeline.syncOperations.addHandler(RefusingResponder(RuntimeAPIHandler.response(
                            status: .serviceUnavailable, errorType: "TooManyConnections",
                            message: "The Runtime API serves \(ListenerLimits.runtimeConnections) connections at once")))
                        return
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(session: session, largeBody: largeBody))
                }
            }
            .withBoundSocket(fd)
            .get()
        channel.closeFuture.whenComplete { _ in connections.closeAll() }
        return channel
    }
}

/// The one large request body an environment's Runtime API receives at a time (`ListenerLimits`).
final class LargeBodySlot: Sendable {
    private let taken = Mutex(false)

    func take() -> Bool { taken.withLock { taken in defer { taken = true }; return !taken } }
    func give() { taken.withLock { $0 = false } }
}

/// Answers a connection over the limit with one whole HTTP response and closes it, reading nothing.
final class RefusingResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// One connection of the runtime: collects each request, then answers it through the session. A
/// `invocation/next` may be answered much later, from another thread: replies go through the channel.
///
/// Bounded as `ListenerLimits` says: a request must arrive whole within the request timeout of the
/// connection opening or its last answer; a body over `smallBodyBytes` needs the environment's one
/// large-body slot (429 otherwise); a request whose route takes no body (invocation/next, unknown paths)
/// is answered at its head when it announces one, and the connection closes without reading it.
final class RuntimeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let session: RuntimeSession
    let largeBody: LargeBodySlot
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyBytes = 0
    private var holdsLargeBody = false
    /// Answered at its head (or refused): the rest of the request is dropped and the connection closes.
    private var refused = false
    private var deadline: Scheduled<Void>?
    private weak var channel: (any Channel)?

    init(session: RuntimeSession, largeBody: LargeBodySlot) {
        self.session = session
        self.largeBody = largeBody
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        armDeadline(context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        releaseLargeBody()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        releaseLargeBody()
        context.fireChannelInactive()
    }

    /// The next request must be whole within the request timeout.
    private func armDeadline(_ channel: any Channel) {
        deadline?.cancel()
        deadline = channel.eventLoop.scheduleTask(in: ListenerLimits.runtimeRequestTimeout) { [weak channel] in
            channel?.close(promise: nil)
        }
    }

    private func releaseLargeBody() {
        if holdsLargeBody { largeBody.give() }
        holdsLargeBody = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        switch unwrapInboundIn(data) {
        case let .head(head):
            self.head = head
            body.clear()
            bodyBytes = 0
            if !Self.takesBody(head), Self.announcesBody(head) {
                refuse(context.channel, status: .badRequest, errorType: "InvalidRequest",
                       message: "\(head.method.rawValue) \(head.uri) takes no request body")
            }
        case var .body(chunk):
            bodyBytes += chunk.readableBytes
            if bodyBytes > ListenerLimits.smallBodyBytes && !holdsLargeBody {
                guard largeBody.take() else {
                    refuse(context.channel, status: .tooManyRequests, errorType: "TooManyRequests",
                           message: "Another request body over \(ListenerLimits.smallBodyBytes) bytes is being received; send one at a time")
                    return
                }
                holdsLargeBody = true
            }
            // Keep one byte past the limit: enough to know the response was too large.
            if body.readableBytes <= runtimeResponseLimit { body.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            deadline?.cancel()
            deadline = nil
            let bytes = Array(body.readableBytesView)
            body = ByteBuffer()
            releaseLargeBody()
            route(head, bytes, size: bodyBytes, channel: context.channel)
        }
    }

    /// Answers now and closes: the rest of this request is not read.
    private func refuse(_ channel: any Channel, status: HTTPResponseStatus, errorType: String, message: String) {
        refused = true
        head = nil
        body = ByteBuffer()
        releaseLargeBody()
        let json = (try? JSONSerialization.data(withJSONObject: ["errorMessage": message, "errorType": errorType])) ?? Data()
        Self.send(channel, status: status, headers: [("Content-Type", "application/json")], body: Array(json), keepAlive: false)
    }

    /// The routes that read a body: the POSTs (response, error, init error).
    static func takesBody(_ head: HTTPRequestHead) -> Bool {
        head.method == .POST
    }

    static func announcesBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers.contains(name: "Transfer-Encoding") { return true }
        return head.headers.first(name: "Content-Length").map { $0 != "0" } ?? false
    }

    /// A whole response as bytes, for a connection that gets nothing else.
    static func response(status: HTTPResponseStatus, errorType: String, message: String) -> [UInt8] {
        let json = (try? JSONSerialization.data(withJSONObject: ["errorMessage": message, "errorType": errorType])) ?? Data()
        let head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nContent-Type: application/json\r\nContent-Length: \(json.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + Array(json)
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
            if !keepAlive {
                done.whenComplete { _ in channel.close(promise: nil) }
            } else if let handler = try? channel.pipeline.syncOperations.handler(type: RuntimeAPIHandler.self) {
                handler.armDeadline(channel) // the next request is timed from this answer
            }
        }
        if channel.eventLoop.inEventLoop { write() } else { channel.eventLoop.execute(write) }
    }
}
