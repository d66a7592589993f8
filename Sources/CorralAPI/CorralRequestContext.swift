import Hummingbird
import NIOCore

/// The API's request context: Hummingbird's core, plus the peer's address (IAM's aws:SourceIp).
public struct CorralRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

extension Caller {
    /// The caller with the request's source address (when the context knows it), for aws:SourceIp.
    func at(_ context: some RequestContext) -> Caller {
        var caller = self
        if let address = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress { caller.sourceIP = address }
        return caller
    }
}
