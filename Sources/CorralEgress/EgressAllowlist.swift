/// The destinations one sandbox may reach through its egress proxy: the `net:Connect` grants of the
/// function's execution role, as "HOST:PORT" patterns (see `EgressPattern` for the syntax and how hosts are
/// compared). A destination is allowed when any pattern matches it; an empty allowlist allows nothing.
///
/// Build it once when an environment starts; checking a destination does no I/O beyond reading the host's
/// interface addresses at most every 2 s (`HostInterfaces`).
public struct EgressAllowlist: Hashable, Sendable {
    /// The patterns, in the order given.
    public let patterns: [EgressPattern]

    /// An allowlist that allows nothing.
    public static let none = EgressAllowlist(checked: [])

    /// Parses every pattern ("HOST:PORT", the part of `arn:corral:net:::HOST:PORT` after the prefix); throws
    /// for the first one that is invalid.
    public init(_ patterns: some Sequence<String>) throws(EgressPatternError) {
        var checked: [EgressPattern] = []
        for text in patterns {
            checked.append(try EgressPattern(text))
        }
        self.patterns = checked
    }

    public init(checked patterns: [EgressPattern]) {
        self.patterns = patterns
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether a sandbox may connect to `host`:`port`. `host` is a name, a dotted-quad IPv4 address, or an
    /// IPv6 address with or without brackets; a host that is none of these unambiguously (see `EgressHost`)
    /// is never allowed, nor is a port outside 1...65535.
    public func allows(host: String, port: Int) -> Bool {
        guard let host = EgressHost(host) else { return false }
        return allows(host, port: port)
    }

    /// Whether a sandbox may connect to an already parsed `host`:`port`. An unspecified address (0.0.0.0/8,
    /// ::) never is; an internal one (`InternalAddresses`) only through a pattern naming it exactly.
    public func allows(_ host: EgressHost, port: Int) -> Bool {
        guard !InternalAddresses.isUnspecified(host) else { return false }
        let isInternal = InternalAddresses.contains(host)
        return patterns.contains { $0.matches(host, port: port, isInternal: isInternal) }
    }
}
