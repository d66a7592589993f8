import Glibc
import NIOCore

/// Name resolution for the proxy, with one rule a host-name grant cannot get around: a name never reaches
/// an internal address (`InternalAddresses`: loopback, unspecified, link-local, the metadata service, the
/// host's own interfaces), whatever DNS answers. The
/// proxy connects from the supervisor's network namespace, so without this a name whose DNS the tenant
/// controls could point at the host's own services. A grant that names such an address literally
/// (`127.0.0.1:8080`) still reaches it: that is the operator's or tenant's explicit choice.
enum HostResolution {
    /// The name resolved to internal addresses only.
    struct InternalOnly: Error, CustomStringConvertible {
        let name: String
        let addresses: [String]
        var description: String {
            "\(name) resolves only to \(addresses.joined(separator: ", ")) (loopback, link-local, metadata or this host's own), which a host-name grant never reaches; grant the address itself"
        }
    }

    /// The name did not resolve.
    struct Failed: Error, CustomStringConvertible {
        let name: String
        let reason: String
        var description: String { "could not resolve \(name): \(reason)" }
    }

    /// Resolves `name` (blocking: call it off the event loop) to the addresses a host-name grant may reach,
    /// in the resolver's order.
    static func reachableAddresses(_ name: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, String(port), &hints, &list)
        guard status == 0 else { throw Failed(name: name, reason: String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var all: [SocketAddress] = []
        var next = list
        while let entry = next {
            next = entry.pointee.ai_next
            guard let raw = entry.pointee.ai_addr else { continue }
            switch Int32(raw.pointee.sa_family) {
            case AF_INET:
                all.append(raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: name) })
            case AF_INET6:
                all.append(raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: name) })
            default:
                continue
            }
        }
        let reachable = all.filter { !isInternal($0) }
        guard !reachable.isEmpty else {
            if all.isEmpty { throw Failed(name: name, reason: "no IPv4 or IPv6 address") }
            throw InternalOnly(name: name, addresses: all.compactMap(\.ipAddress))
        }
        return reachable
    }

    /// Whether a host-name grant must not connect to `address` (see `InternalAddresses`).
    static func isInternal(_ address: SocketAddress) -> Bool {
        InternalAddresses.contains(address)
    }
}
