import Glibc
import NIOCore
import Synchronization

/// The addresses that lead back into the host Corral runs on, or to what only it should reach: the proxy
/// connects from the supervisor's network namespace, so for it these are the host's own services.
///
/// - loopback: 127.0.0.0/8 and ::1;
/// - unspecified: 0.0.0.0/8 and :: (connecting to them reaches the host's own listeners);
/// - link-local: 169.254.0.0/16 and fe80::/10, with the cloud metadata services at 169.254.169.254 and
///   fd00:ec2::254 (the latter outside link-local, so listed by itself);
/// - every address of the host's own interfaces (read with getifaddrs, at most every few seconds).
///
/// Addresses arrive canonical (`EgressHost` turns IPv4-mapped and IPv4-compatible IPv6 into IPv4), and
/// `SocketAddress` forms are canonicalized here the same way, so `[::ffff:127.0.0.1]` is loopback too.
public enum InternalAddresses {
    /// Whether `host` (a literal; names are never internal as such) is internal.
    public static func contains(_ host: EgressHost) -> Bool {
        switch host {
        case .name: false
        case .ipv4, .ipv6: isInternal(bytes: Self.bytes(host), interfaces: HostInterfaces.shared.current())
        }
    }

    /// Whether `host` is 0.0.0.0/8 or ::, which no grant reaches: it means "this host" to connect, and the
    /// host's loopback is granted by naming 127.0.0.1 or ::1.
    public static func isUnspecified(_ host: EgressHost) -> Bool {
        guard case .ipv4 = host else { return host == .ipv6("::") }
        return bytes(host).first == 0
    }

    /// Whether a resolved address is internal (a host-name grant never connects to one).
    static func contains(_ address: SocketAddress) -> Bool {
        guard let bytes = canonicalBytes(address) else { return true }
        return isInternal(bytes: bytes, interfaces: HostInterfaces.shared.current())
    }

    /// The classification itself, over canonical address bytes (4 for IPv4, 16 for IPv6).
    static func isInternal(bytes: [UInt8], interfaces: Set<[UInt8]>) -> Bool {
        if interfaces.contains(bytes) { return true }
        if bytes.count == 4 {
            return bytes[0] == 127 || bytes[0] == 0 || (bytes[0] == 169 && bytes[1] == 254)
        }
        let unspecifiedOrLoopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] <= 1
        let linkLocal = bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80
        return unspecifiedOrLoopback || linkLocal || bytes == metadataIPv6Bytes
    }

    /// fd00:ec2::254, the AWS instance metadata service's IPv6 address (its IPv4 one is link-local).
    static let metadataIPv6Bytes: [UInt8] = [0xfd, 0x00, 0x0e, 0xc2] + [UInt8](repeating: 0, count: 10) + [0x02, 0x54]

    /// The address bytes of a literal host.
    static func bytes(_ host: EgressHost) -> [UInt8] {
        guard let address = try? SocketAddress(ipAddress: host.address, port: 0) else { return [] }
        return canonicalBytes(address) ?? []
    }

    /// 4 bytes for IPv4 (and IPv4-mapped or IPv4-compatible IPv6), 16 for other IPv6; nil for a Unix socket.
    static func canonicalBytes(_ address: SocketAddress) -> [UInt8]? {
        switch address {
        case let .v4(v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case let .v6(v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            return embeddedIPv4(bytes) ?? bytes
        case .unixDomainSocket:
            return nil
        }
    }

    /// The IPv4 address an IPv6 one carries: `::ffff:a.b.c.d` (mapped), which the kernel connects to as
    /// a.b.c.d, and `::a.b.c.d` (compatible, deprecated by RFC 4291) other than :: and ::1, read the same way
    /// so that no spelling of an IPv4 address escapes the IPv4 rules.
    static func embeddedIPv4(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }) else { return nil }
        if bytes[10] == 0xff && bytes[11] == 0xff { return Array(bytes[12...]) }
        if bytes[10] == 0 && bytes[11] == 0 && !(bytes[12..<15].allSatisfy { $0 == 0 } && bytes[15] <= 1) {
            return Array(bytes[12...])
        }
        return nil
    }
}

/// The addresses of the host's interfaces, read with getifaddrs and kept for a few seconds (an address
/// added since is internal from the next read on).
final class HostInterfaces: Sendable {
    static let shared = HostInterfaces()

    private struct Snapshot {
        var addresses: Set<[UInt8]> = []
        var readAt: UInt64 = 0
        var read = false
    }

    private let snapshot = Mutex(Snapshot())
    private static let refreshNanoseconds: UInt64 = 2_000_000_000

    func current() -> Set<[UInt8]> {
        let now = Self.monotonicNow()
        return snapshot.withLock { state in
            if !state.read || now &- state.readAt > Self.refreshNanoseconds {
                state.addresses = Self.read()
                state.readAt = now
                state.read = true
            }
            return state.addresses
        }
    }

    static func read() -> Set<[UInt8]> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var addresses: Set<[UInt8]> = []
        var next = list
        while let entry = next {
            next = entry.pointee.ifa_next
            guard let raw = entry.pointee.ifa_addr else { continue }
            switch Int32(raw.pointee.sa_family) {
            case AF_INET:
                let address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: "") }
                if let bytes = InternalAddresses.canonicalBytes(address) { addresses.insert(bytes) }
            case AF_INET6:
                let address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: "") }
                if let bytes = InternalAddresses.canonicalBytes(address) { addresses.insert(bytes) }
            default:
                continue
            }
        }
        return addresses
    }

    private static func monotonicNow() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
