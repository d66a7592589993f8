import NIOCore

/// One end of a byte tunnel between two channels on the same event loop (a CONNECT client and its
/// destination). Made in pairs with `matchedPair()`, one handler in each channel's pipeline:
/// - bytes read on one side are written to the other, flushed at the end of each read burst;
/// - backpressure: a side reads only while the other side is writable (its `read` waits otherwise, and is
///   let through when the other side becomes writable again);
/// - half-close: when one peer finishes sending (EOF, with `allowRemoteHalfClosure` on), the other side's
///   output is shut once its pending writes are out, so each direction ends on its own;
/// - when either side closes or fails, both close.
final class TunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: TunnelHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init() {}

    /// Two handlers tunnelling to each other: put one in each channel's pipeline (on the same event loop).
    static func matchedPair() -> (TunnelHandler, TunnelHandler) {
        let first = TunnelHandler()
        let second = TunnelHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    // MARK: Events on this handler's own channel

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClose()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            partner?.partnerInputClosed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        partner?.partnerClose()
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }

    // MARK: Calls from the partner (same event loop)

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerWrite(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    /// The partner's peer sent EOF: no more bytes will come for this side, so finish its output (after the
    /// pending writes). If shutting down fails, or this side's input had ended too, NIO closes it entirely.
    private func partnerInputClosed() {
        guard let context else { return }
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenFailure { _ in
            context.close(promise: nil)
        }
        context.close(mode: .output, promise: promise)
    }

    private func partnerClose() {
        context?.close(promise: nil)
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }
}
