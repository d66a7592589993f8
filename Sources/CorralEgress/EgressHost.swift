import NIOCore

/// The host part of a destination a sandbox asks for, in one unambiguous form: a DNS name, or an IPv4 or IPv6
/// literal. Parsing refuses whatever a resolver could read two ways, so what the allowlist checks is what the
/// proxy connects to:
/// - names are ASCII letters, digits, `-` and `_` in dot-separated labels (1 to 63 characters each, 253 in
///   all), lowercased; no trailing dot (so `example.com.` is refused, not taken for `example.com`);
/// - a name whose last label is all digits or `0x`-hex is refused: getaddrinfo would read `127.1`,
///   `2130706433` or `0x7f.1` as an IPv4 address, which a name pattern must not let through;
/// - IPv4 only in canonical dotted-quad form (`127.0.0.1`, not `127.000.0.1`);
/// - IPv6 with or without brackets, kept in its canonical (RFC 5952) text form; no zone (`%eth0`);
/// - an IPv6 address that carries an IPv4 one (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `::127.0.0.1`) is that
///   IPv4 address, so every rule and pattern for it applies whatever the spelling.
public enum EgressHost: Hashable, Sendable, CustomStringConvertible {
    case name(String)
    case ipv4(String)
    case ipv6(String)

    /// Parses `text` (a name, a dotted quad, or an IPv6 address in brackets or not); nil when it is none of
    /// these in an unambiguous form.
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("[") {
            guard text.hasSuffix("]"), text.count > 2 else { return nil }
            text = String(text.dropFirst().dropLast())
            guard text.contains(":") else { return nil }
        }
        guard !text.isEmpty, text.utf8.count <= 253, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        if text.contains(":") {
            // A zone ("%eth0") names an interface of the host, not a destination.
            guard !text.contains("%"), let canonical = Self.canonicalIPAddress(text, ipv6: true) else { return nil }
            // ::ffff:a.b.c.d (and ::a.b.c.d) is a.b.c.d to connect: it is checked as that address.
            if let address = try? SocketAddress(ipAddress: canonical, port: 0),
               let bytes = InternalAddresses.canonicalBytes(address), bytes.count == 4 {
                self = .ipv4(bytes.map(String.init).joined(separator: "."))
            } else {
                self = .ipv6(canonical)
            }
        } else if let canonical = Self.canonicalIPAddress(text, ipv6: false) {
            // inet_pton already refuses most odd forms; the comparison refuses whatever it let through.
            guard canonical == text else { return nil }
            self = .ipv4(canonical)
        } else if Self.isName(text) {
            self = .name(text.lowercased())
        } else {
            return nil
        }
    }

    /// The host as a resolver or `connect` takes it: the name, or the bare address.
    public var address: String {
        switch self {
        case let .name(text), let .ipv4(text), let .ipv6(text): text
        }
    }

    /// The host as written in an authority (`host:port`, a Host header): IPv6 in brackets.
    public var description: String {
        switch self {
        case let .name(text), let .ipv4(text): text
        case let .ipv6(text): "[\(text)]"
        }
    }

    /// The address in the form inet_ntop writes it, or nil when inet_pton does not take it.
    static func canonicalIPAddress(_ text: String, ipv6: Bool) -> String? {
        guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        switch address {
        case .v4 where !ipv6, .v6 where ipv6: return address.ipAddress
        default: return nil
        }
    }

    /// A DNS name (letters, digits, `-`, `_`) whose last label does not read as a number.
    static func isName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count) else { return false }
            guard label.utf8.allSatisfy({ isNameByte($0) }) else { return false }
        }
        guard let last = labels.last?.lowercased() else { return false }
        if last.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return false }
        if last.hasPrefix("0x"), last.dropFirst(2).utf8.allSatisfy({ isHexByte($0) }) { return false }
        return true
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    static func isHexByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default:
            false
        }
    }
}
