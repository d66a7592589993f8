@testable import CorralEgress
import NIOCore
import NIOPosix

/// An EgressProxy started the way the supervisor will start one: on a socket the test made listen on
/// 127.0.0.1, with a logger whose records the test can read.
struct ProxyUnderTest {
    let channel: any Channel
    let port: Int
    let log: LogRecord

    /// `isInternal` replaces the internal-address rule (InternalAddresses) where a test needs wildcards to
    /// reach its own loopback servers.
    static func start(_ patterns: [String], limits: EgressProxy.Limits = .init(),
                      isInternal: (@Sendable (EgressHost) -> Bool)? = nil) async throws -> ProxyUnderTest {
        let (fd, port) = try makeListeningSocket()
        let log = LogRecord()
        let allowlist = try EgressAllowlist(patterns)
        let policy: any EgressPolicy = isInternal.map { ReclassifiedAllowlist(allowlist: allowlist, isInternal: $0) } ?? allowlist
        let channel = try await EgressProxy.start(
            listeningSocket: fd,
            policy: policy,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: log.logger,
            limits: limits
        )
        return ProxyUnderTest(channel: channel, port: port, log: log)
    }

    func stop() async {
        try? await channel.close()
    }

    /// A new connection to the proxy.
    func client() throws -> TestClient { try TestClient(port: port) }

    /// A connection that has sent `CONNECT authority` (and `extra` right behind it) and read the answer's head.
    func connect(_ authority: String, extra: String = "") throws -> (TestClient, TestResponse) {
        let client = try client()
        try client.send("CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n\r\n\(extra)")
        return (client, try client.readHead())
    }

    /// Whether a notice-level record names `destination`.
    func loggedRefusal(of destination: String) -> Bool {
        log.entries.contains { $0.level == .notice && $0.metadata["destination"] == destination }
    }
}

/// Waits until `condition` holds, up to `seconds`; whether it did.
func eventually(seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// An allowlist whose patterns are matched with a test's own idea of which addresses are internal.
struct ReclassifiedAllowlist: EgressPolicy {
    let allowlist: EgressAllowlist
    let isInternal: @Sendable (EgressHost) -> Bool

    func allows(_ host: EgressHost, port: Int) -> Bool {
        allowlist.patterns.contains { $0.matches(host, port: port, isInternal: isInternal(host)) }
    }
}
