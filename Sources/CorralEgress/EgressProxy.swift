import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The egress proxy of one sandbox: an HTTP proxy (CONNECT tunnels and plain `http://` forwarding) served on
/// a socket already listening on the sandbox's loopback (`NetworkNamespace.listenTCP`), through which the
/// sandbox reaches exactly the destinations its `EgressAllowlist` grants. The sandbox finds it through
/// `HTTP_PROXY` / `HTTPS_PROXY`; it has no other network.
///
/// - A granted destination is connected to from the supervisor's network namespace, exactly as requested:
///   the egress policy is checked on the host and port in the request line, and the connection goes to that host
///   and port, nowhere else. Requests the proxy could read two ways are refused with 400 (see `ProxyTarget`).
/// - A host name is checked by name, before resolution; the name is then resolved on the host, so DNS
///   answers decide which address it reaches. Granting `api.example.com:443` trusts whoever serves that
///   name's DNS; granting `*:443` reaches any name whose address is not internal (`InternalAddresses`;
///   private networks are reached). Grant IP literals (`203.0.113.7:443`) where the address must be pinned.
/// - Destinations are the host's, not the sandbox's: `127.0.0.1` in a grant is the supervisor's loopback
///   (where Corral's own API may listen), since connections leave from the event loop's thread, which is in
///   the supervisor's network namespace. So internal addresses (loopback, link-local, metadata, the host's
///   own interfaces) are matched only by a pattern naming address and port exactly, in canonical form
///   (`EgressHost`), and the unspecified addresses by none.
/// - Refusals (403 with a text body naming the destination, 400 for malformed targets, 503 over the
///   connection limit) are logged at notice level; 502 (refused, unresolvable) and 504 (connect timeout)
///   at info.
/// - One request per client connection (`Connection: close`); limits in `Limits`.
public enum EgressProxy {
    /// Starts serving on `fd`, a TCP socket that is already bound and listening. The returned channel owns
    /// `fd`: close it to stop the proxy, which also closes the connections still open through it. If this
    /// throws, SwiftNIO may already have closed `fd`: do not close it again (at worst it leaks).
    public static func start(
        listeningSocket fd: Int32,
        policy: any EgressPolicy,
        group: any EventLoopGroup,
        logger: Logger,
        limits: Limits = Limits()
    ) async throws -> any Channel {
        let connections = ConnectionLimit(limit: limits.maxConnections)
        let channel = try await ServerBootstrap(group: group)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.admit(channel) else {
                        logger.notice("egress: refused a connection: \(limits.maxConnections) connections are open")
                        try channel.pipeline.syncOperations.addHandler(BusyResponder())
                        return
                    }
                    try addClientHandlers(to: channel, policy: policy, limits: limits, logger: logger)
                }
            }
            .withBoundSocket(fd)
            .get()
        channel.closeFuture.whenComplete { _ in connections.closeAll() }
        return channel
    }

    /// `start` with a plain allowlist.
    public static func start(listeningSocket fd: Int32, allowlist: EgressAllowlist, group: any EventLoopGroup, logger: Logger,
                             limits: Limits = Limits()) async throws -> any Channel {
        try await start(listeningSocket: fd, policy: allowlist, group: group, logger: logger, limits: limits)
    }

    /// The pipeline of one client connection: idle timeout, HTTP/1.1 codec (head size capped), and the
    /// `ProxyRequestHandler`, which replaces the codec with a tunnel after a granted CONNECT.
    static func addClientHandlers(to channel: any Channel, policy: any EgressPolicy, limits: Limits, logger: Logger) throws {
        var headLimits = NIOHTTPDecoderLimitConfiguration()
        headLimits.maxHeaderListSize = limits.maxRequestHeadBytes
        headLimits.maxHeaderFieldSize = limits.maxRequestHeadBytes
        let encoder = HTTPResponseEncoder()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, limitConfiguration: headLimits))
        try channel.pipeline.syncOperations.addHandlers([
            IdleStateHandler(allTimeout: limits.idleTimeout),
            IdleCloseHandler(logger: logger),
            encoder,
            decoder,
            ProxyRequestHandler(policy: policy, limits: limits, logger: logger, encoder: encoder, decoder: decoder),
        ])
    }
}
