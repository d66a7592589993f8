import Logging
import NIOCore
import NIOPosix

/// Forwards every connection accepted on a listening socket to one fixed host:port, byte for byte (with
/// half-close and backpressure, as a CONNECT tunnel), inside TLS to the destination when the target says
/// so. The Lambda endpoint inside a sandbox is one: it listens in the sandbox's network namespace and
/// connects, from the supervisor's, to Corral's own API (over TLS when the API listener serves it, so the
/// function speaks plain HTTP only inside its own namespace).
public enum TCPForwarder {
    /// Starts forwarding connections on `fd` (bound and listening) to `target`. The returned channel
    /// owns `fd`; closing it stops accepting and closes the connections still open. At most
    /// `maxConnections` are forwarded at once: one more is closed as soon as it is accepted.
    public static func start(listeningSocket fd: Int32, to target: ForwardTarget, group: any EventLoopGroup, logger: Logger,
                             connectTimeout: TimeAmount = .seconds(10), maxConnections: Int = 16) async throws -> any Channel {
        let connections = ConnectionLimit(limit: maxConnections)
        let host = target.host, port = target.port, tls = target.tls
        let channel = try await ServerBootstrap(group: group)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { client in
                guard connections.admit(client) else {
                    logger.notice("forwarder: refused a connection: \(maxConnections) connections are open")
                    return client.close()
                }
                let connecting = ClientBootstrap(group: client.eventLoop)
                    .connectTimeout(connectTimeout)
                    .channelOption(.autoRead, value: false)
                    .channelOption(.allowRemoteHalfClosure, value: true)
                    .channelInitializer { upstream in
                        guard let tls else { return upstream.eventLoop.makeSucceededVoidFuture() }
                        return upstream.eventLoop.makeCompletedFuture { try upstream.pipeline.syncOperations.addHandler(tls.clientHandler()) }
                    }
                    .connect(host: host, port: port)
                return connecting.flatMapError { error in
                    logger.warning("forwarder: cannot connect to \(host):\(port): \(error)")
                    return client.close().flatMapThrowing { throw error }
                }.flatMap { upstream in
                    let (clientSide, upstreamSide) = TunnelHandler.matchedPair()
                    do {
                        try upstream.pipeline.syncOperations.addHandler(upstreamSide)
                        try client.pipeline.syncOperations.addHandler(clientSide)
                    } catch {
                        upstream.close(promise: nil)
                        return client.eventLoop.makeFailedFuture(error)
                    }
                    ProxyRequestHandler.setAutoRead(client, true)
                    ProxyRequestHandler.setAutoRead(upstream, true)
                    return client.eventLoop.makeSucceededVoidFuture()
                }
            }
            .withBoundSocket(fd)
            .get()
        channel.closeFuture.whenComplete { _ in connections.closeAll() }
        return channel
    }
}
