import NIOCore
import Synchronization

/// The client connections open on one proxy: admits them up to a limit, forgets each when it closes, and
/// closes all that remain when the proxy itself closes (its sandbox is gone, so are its tunnels).
final class EgressConnections: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Records `channel` as open, unless `limit` are open already or the proxy has closed; false then, and
    /// the caller turns the connection away.
    func admit(_ channel: any Channel) -> Bool {
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
    var count: Int { state.withLock { $0.open.count } }

    /// Closes every open connection and admits no more.
    func closeAll() {
        let channels = state.withLock { state in
            state.closed = true
            return Array(state.open.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
