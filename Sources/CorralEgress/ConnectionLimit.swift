import NIOCore
import Synchronization

/// The client connections open on one of a sandbox's listeners (the egress proxy, the Lambda endpoint, the
/// Runtime API): admits them up to a limit, forgets each when it closes, and closes all that remain when
/// the listener itself closes (its sandbox is gone, so are its connections). Each admitted connection is
/// at most one or two of the supervisor's fds; the limits bound what one sandbox can hold of them.
public final class ConnectionLimit: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) {
        self.limit = limit
    }

    /// Records `channel` as open, unless `limit` are open already or the proxy has closed; false then, and
    /// the caller turns the connection away.
    public func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let admitted = state.withLock { state in
            guard !state.closed, state.open.count < limit else { return false }
            state.open[key] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { _ in
                self.state.withLock { _ = $0.open.removeValue(forKey: key) }
            }
        }
        return admitted
    }

    /// How many connections are open.
    public var count: Int { state.withLock { $0.open.count } }

    /// Closes every open connection and admits no more.
    public func closeAll() {
        let channels = state.withLock { state in
            state.closed = true
            return Array(state.open.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
