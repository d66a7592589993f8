import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves one client connection of the egress proxy: reads one request head, checks its destination against
/// the egress policy, and then either answers itself (400, 403, 408, 431, 502, 504) or hands the connection over:
/// CONNECT becomes a byte tunnel (`+Tunnel`), an absolute-form request is forwarded (`+Forward`).
///
/// One request per connection: every answer carries `Connection: close`, and the connection closes after it
/// (clients open a new one for the next request). Every refusal is logged at notice level with the
/// destination. The destination is connected to from the supervisor's side, on this connection's event loop.
final class ProxyRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum Phase {
        /// Waiting for the request head.
        case awaitingHead
        /// Connecting to the destination of a CONNECT.
        case connectingTunnel
        /// Connecting to the destination of a plain HTTP request; request parts are kept until then.
        case connectingForward
        /// Relaying a plain HTTP request and its response.
        case forwarding
        /// Handed over to a tunnel, answered, or closed: nothing more to do.
        case finished
    }

    let policy: any EgressPolicy
    let limits: EgressProxy.Limits
    let logger: Logger
    let encoder: HTTPResponseEncoder
    let decoder: ByteToMessageHandler<HTTPRequestDecoder>

    var phase = Phase.awaitingHead
    var context: ChannelHandlerContext?
    var headTimeout: Scheduled<Void>?
    /// The destination being connected to or relayed to.
    var target: ProxyTarget?
    // Plain HTTP forwarding (see +Forward).
    var upstream: (any Channel)?
    var pendingParts: [HTTPClientRequestPart] = []
    var requestMethod = HTTPMethod.GET
    var clientVersion = HTTPVersion.http1_1
    var requestEnded = false
    var responseStarted = false
    var headWritten: EventLoopFuture<Void>?

    init(
        policy: any EgressPolicy, limits: EgressProxy.Limits, logger: Logger,
        encoder: HTTPResponseEncoder, decoder: ByteToMessageHandler<HTTPRequestDecoder>
    ) {
        self.policy = policy
        self.limits = limits
        self.logger = logger
        self.encoder = encoder
        self.decoder = decoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        headTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: limits.requestHeadTimeout) { [self] in
            guard phase == .awaitingHead else { return }
            logger.debug("egress: no request head in time")
            reply(.headTimeout)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headTimeout?.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch phase {
        case .awaitingHead:
            guard case let .head(head) = part else { return }
            headTimeout?.cancel()
            if head.method == .CONNECT {
                startTunnel(head)
            } else {
                startForward(head)
            }
        case .connectingForward, .forwarding:
            forwardRequestPart(part)
        case .connectingTunnel, .finished:
            // A CONNECT has no body; anything after an answer or a second request is not served.
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if phase == .forwarding { upstream?.flush() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .finished
        headTimeout?.cancel()
        upstream?.close(promise: nil)
        upstream = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Read from the destination only as fast as the client takes the response.
        if phase == .forwarding, let upstream { Self.setAutoRead(upstream, context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event, phase == .awaitingHead {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if phase == .finished {
            return  // an answer is on its way, and the connection closes after it
        }
        guard phase == .awaitingHead, let error = error as? HTTPParserError else {
            logger.debug("egress: connection failed", metadata: ["error": "\(error)"])
            phase = .finished
            context.close(promise: nil)
            return
        }
        headTimeout?.cancel()
        if case .headerOverflow = error {
            logger.notice("egress: refused a request head over \(limits.maxRequestHeadBytes) bytes")
            reply(.headTooLarge)
        } else {
            logger.notice("egress: refused a malformed request", metadata: ["error": "\(error)"])
            reply(.malformed("the request is not valid HTTP/1.1 (\(error))"))
        }
    }

    // MARK: Shared by CONNECT and plain HTTP

    /// The request's destination, if it is well formed and granted; otherwise answers 400 or 403 (logged)
    /// and returns nil.
    func checkedTarget(_ head: HTTPRequestHead, parse: (String) throws(ProxyTarget.Malformed) -> ProxyTarget) -> ProxyTarget? {
        let target: ProxyTarget
        do {
            target = try parse(head.uri)
        } catch {
            logger.notice("egress: refused a malformed request target", metadata: ["target": "\(head.uri)", "reason": "\(error.reason)"])
            reply(.malformed(error.reason))
            return nil
        }
        guard policy.allows(target.host, port: target.port) else {
            logger.notice(
                "egress: refused a destination the execution role does not grant",
                metadata: ["destination": "\(target.destination)", "method": "\(head.method.rawValue)"]
            )
            reply(.forbidden(target))
            return nil
        }
        return target
    }

    /// Connects to `target` from the supervisor's network namespace, on this connection's event loop. The
    /// new channel does not read until the caller turns `autoRead` on.
    func connect(_ target: ProxyTarget, halfClosure: Bool, initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) -> EventLoopFuture<any Channel>? {
        guard let context else { return nil }
        let eventLoop = context.eventLoop
        let timeout = limits.connectTimeout
        let bootstrap: @Sendable () -> ClientBootstrap = {
            ClientBootstrap(group: eventLoop)
                .connectTimeout(timeout)
                .channelOption(.autoRead, value: false)
                .channelOption(.allowRemoteHalfClosure, value: halfClosure)
                .channelInitializer(initializer)
        }
        switch target.host {
        case let .name(name):
            guard !limits.namesMayReachInternalAddresses else { return bootstrap().connect(host: name, port: target.port) }
            // Resolved here, off the event loop, so the addresses can be checked (HostResolution), then each
            // tried in the resolver's order.
            let port = target.port
            return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
                try HostResolution.reachableAddresses(name, port: port)
            }.flatMap { addresses in
                Self.connect(bootstrap, toFirstOf: addresses[...], on: eventLoop)
            }
        case .ipv4, .ipv6:
            // A literal is connected to as it is: no resolver in between.
            do {
                return bootstrap().connect(to: try SocketAddress(ipAddress: target.host.address, port: target.port))
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }
    }

    /// Connects to the first of `addresses` that accepts; fails with the last one's error.
    static func connect(_ bootstrap: @escaping @Sendable () -> ClientBootstrap, toFirstOf addresses: ArraySlice<SocketAddress>,
                        on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        guard let first = addresses.first else { return eventLoop.makeFailedFuture(ChannelError.connectPending) }
        return bootstrap().connect(to: first).flatMapError { error in
            addresses.count > 1 ? connect(bootstrap, toFirstOf: addresses.dropFirst(), on: eventLoop) : eventLoop.makeFailedFuture(error)
        }
    }

    /// Answers with one of the proxy's own responses and closes the connection (and any destination).
    func reply(_ reply: ProxyReply) {
        phase = .finished
        upstream?.close(promise: nil)
        upstream = nil
        guard let context else { return }
        context.write(wrapOutboundOut(.head(reply.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
