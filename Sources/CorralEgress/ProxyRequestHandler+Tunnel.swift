import NIOCore
import NIOHTTP1

/// CONNECT: a byte tunnel to a granted host:port.
extension ProxyRequestHandler {
    /// Checks the CONNECT's target, connects to it, and on success turns this connection into a tunnel.
    /// The client's reads pause meanwhile, so whatever it sends early (a TLS ClientHello) waits in the
    /// request decoder and is passed on once the tunnel is up.
    func startTunnel(_ head: HTTPRequestHead) {
        guard let target = checkedTarget(head, parse: ProxyTarget.connect), let context else { return }
        self.target = target
        phase = .connectingTunnel
        Self.setAutoRead(context.channel, false)
        let connecting = connect(target, halfClosure: true) { $0.eventLoop.makeSucceededVoidFuture() }
        connecting?.assumeIsolated().whenComplete { result in
            switch result {
            case let .success(upstream):
                self.openTunnel(to: upstream)
            case let .failure(error):
                guard self.phase == .connectingTunnel else { return }
                self.logger.info("egress: could not connect", metadata: ["destination": "\(target.destination)", "error": "\(error)"])
                self.reply(.upstreamFailed(target, error))
            }
        }
    }

    /// Answers 200, puts a `TunnelHandler` pair in place of the HTTP handlers, passes on the bytes the client
    /// sent after its request head, and lets both sides read.
    private func openTunnel(to upstream: any Channel) {
        guard phase == .connectingTunnel, let context, context.channel.isActive else {
            upstream.close(promise: nil)
            return
        }
        phase = .finished
        let channel = context.channel
        let pipeline = channel.pipeline.syncOperations
        let (clientSide, upstreamSide) = TunnelHandler.matchedPair()
        do {
            try upstream.pipeline.syncOperations.addHandler(upstreamSide)
            try pipeline.addHandler(clientSide, position: .after(self))
        } catch {
            upstream.close(promise: nil)
            channel.close(promise: nil)
            return
        }
        pipeline.removeHandler(encoder).assumeIsolated().whenComplete { _ in
            channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n"), promise: nil)
            pipeline.removeHandler(self, promise: nil)
            // Removing the decoder hands its leftover bytes to `clientSide`, which writes them upstream.
            pipeline.removeHandler(self.decoder).assumeIsolated().whenComplete { _ in
                upstream.flush()
                Self.setAutoRead(channel, true)
                Self.setAutoRead(upstream, true)
            }
        }
    }
}
