import NIOCore

extension EgressProxy {
    /// The bounds one proxy keeps, so a sandbox cannot use it to hold the supervisor's memory, sockets or
    /// time. The defaults suit a function's outbound calls; tests shorten the timeouts.
    public struct Limits: Sendable, Hashable {
        /// The most bytes a request line and its headers may take (431 past it).
        public var maxRequestHeadBytes: Int
        /// How long a new connection may take to send its whole request head (408 past it).
        public var requestHeadTimeout: TimeAmount
        /// How long a connection may see no bytes in either direction before it is closed (tunnels included).
        public var idleTimeout: TimeAmount
        /// How long connecting to a destination (resolution included) may take (504 past it).
        public var connectTimeout: TimeAmount
        /// The most client connections open at once on this proxy (503 past it).
        public var maxConnections: Int
        /// Whether a granted host name may resolve to loopback or link-local addresses (HostResolution).
        /// Off: only a grant naming such an address literally reaches it.
        public var namesMayReachInternalAddresses: Bool

        public init(
            maxRequestHeadBytes: Int = 32 * 1024,
            requestHeadTimeout: TimeAmount = .seconds(30),
            idleTimeout: TimeAmount = .seconds(300),
            connectTimeout: TimeAmount = .seconds(10),
            maxConnections: Int = 64,
            namesMayReachInternalAddresses: Bool = false
        ) {
            self.maxRequestHeadBytes = maxRequestHeadBytes
            self.requestHeadTimeout = requestHeadTimeout
            self.idleTimeout = idleTimeout
            self.connectTimeout = connectTimeout
            self.maxConnections = maxConnections
            self.namesMayReachInternalAddresses = namesMayReachInternalAddresses
        }
    }
}
