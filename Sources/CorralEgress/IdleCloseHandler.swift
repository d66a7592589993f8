import Logging
import NIOCore

/// Closes a client connection of the proxy when the `IdleStateHandler` before it reports no traffic in
/// either direction for the idle timeout.
final class IdleCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            logger.debug("egress: closing an idle connection")
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
