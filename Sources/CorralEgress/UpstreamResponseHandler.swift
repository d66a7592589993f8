import NIOCore
import NIOHTTP1

/// The destination's side of a forwarded plain HTTP request: passes the response, writability and the end of
/// the connection to the client's `ProxyRequestHandler` (both run on the same event loop).
final class UpstreamResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var front: ProxyRequestHandler?

    init(front: ProxyRequestHandler) {
        self.front = front
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        front?.upstreamResponded(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        front?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        front?.upstreamWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        front?.upstreamEnded(error: nil)
        front = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        front?.upstreamEnded(error: error)
        front = nil
        context.close(promise: nil)
    }
}
