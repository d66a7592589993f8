/// One granted destination, "HOST:PORT" (the resource of a `net:Connect` grant after `arn:corral:net:::`).
/// `*` in HOST or PORT stands for any run of characters (none included), `?` for exactly one.
///
/// The host's characters decide what kind of host the pattern can match, so a wildcard never reaches across
/// kinds:
/// - only wildcards and dots (`*`, `*.*`): any host name (never an address: grant addresses by address);
/// - digits, dots and wildcards (`127.0.0.*`): IPv4 literals only, so `127.0.0.*` does not match the name
///   `127.0.0.1.example.com`, whose address DNS decides;
/// - in brackets (`[::1]`, `[2001:db8::*]`): IPv6 literals only, matched against their canonical text form
///   (RFC 5952: lowercase, longest zero run as `::`);
/// - anything else (`*.example.com`, `LOCALHOST`): names only, compared case-insensitively, as written.
///
/// An internal address (`InternalAddresses`: loopback, link-local, the metadata service, the host's own
/// interfaces) is matched only by a pattern that names it and its port exactly, with no wildcard: `*`,
/// `127.0.0.*`, `[fe80::*]` or `127.0.0.1:*` never reach the host's own services. The unspecified addresses
/// (0.0.0.0/8, ::) are matched by no pattern at all.
///
/// A host name is matched by name, before any resolution: the proxy then resolves it on the host, so DNS
/// answers decide which address a granted name reaches (see `EgressProxy`).
public struct EgressPattern: Hashable, Sendable, CustomStringConvertible {
    enum HostKind: Hashable, Sendable { case any, name, ipv4, ipv6 }

    /// The pattern as it was given.
    public let text: String
    let kind: HostKind
    let host: [UInt8]
    let port: [UInt8]

    /// Parses and checks one pattern; the error names it and says what is wrong.
    public init(_ text: String) throws(EgressPatternError) {
        func fail(_ reason: String) -> EgressPatternError { EgressPatternError(pattern: text, reason: reason) }
        guard !text.isEmpty else { throw fail("empty pattern") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw fail("only printable ASCII without spaces is allowed (write international names in punycode)")
        }
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("\"[\" without \"]\"") }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("expected \":PORT\" after \"]\" (write \"*\" for any port)") }
            portText = rest.dropFirst()
            guard !hostText.isEmpty else { throw fail("empty host") }
            let bytes = try Self.ipv6Host(hostText, fail)
            // An exact address that carries an IPv4 one (::ffff:127.0.0.1) is that IPv4 address, as in EgressHost.
            if case let .ipv4(v4)? = EgressHost("[" + String(decoding: bytes, as: UTF8.self) + "]") {
                kind = .ipv4
                host = Array(v4.utf8)
            } else {
                kind = .ipv6
                host = bytes
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw fail("missing \":PORT\" (write \"HOST:*\" for any port)")
            }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !hostText.isEmpty else { throw fail("empty host") }
            guard !hostText.contains(":") else { throw fail("an IPv6 address must be written in brackets, as in \"[::1]:443\"") }
            (kind, host) = try Self.host(hostText, fail)
        }
        port = try Self.port(portText, fail)
        if !host.contains(where: Self.isWildcard), kind == .ipv4 || kind == .ipv6,
           let literal = EgressHost(kind == .ipv6 ? "[" + String(decoding: host, as: UTF8.self) + "]" : String(decoding: host, as: UTF8.self)),
           InternalAddresses.isUnspecified(literal) {
            throw fail("\(literal) is the unspecified address, which is no destination (to reach the host's loopback, grant 127.0.0.1 or [::1])")
        }
        self.text = text
    }

    /// Whether this pattern grants `host`:`port`.
    public func matches(_ host: EgressHost, port: Int) -> Bool {
        matches(host, port: port, isInternal: InternalAddresses.contains(host))
    }

    /// `matches`, given whether `host` is an internal address (computed once for a whole allowlist).
    func matches(_ host: EgressHost, port: Int, isInternal: Bool) -> Bool {
        guard (1...65535).contains(port) else { return false }
        switch (kind, host) {
        case (.any, .name), (.name, .name), (.ipv4, .ipv4), (.ipv6, .ipv6): break
        default: return false
        }
        if isInternal {
            return isExact && self.host == Array(host.address.utf8) && self.port == Array(String(port).utf8)
        }
        return Self.glob(self.host, matches: Array(host.address.utf8)) && Self.glob(self.port, matches: Array(String(port).utf8))
    }

    /// No wildcard in the host or the port.
    var isExact: Bool { !host.contains(where: Self.isWildcard) && !port.contains(where: Self.isWildcard) }

    public var description: String { text }

    static func isWildcard(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "*") || byte == UInt8(ascii: "?") }

    /// The host of an unbracketed pattern: its kind and its lowercased bytes.
    private static func host(_ text: Substring, _ fail: (String) -> EgressPatternError) throws(EgressPatternError) -> (HostKind, [UInt8]) {
        let bytes = Array(text.lowercased().utf8)
        // Only wildcards and dots ("*", "*.*") say nothing about the kind: any host, compared as text.
        if bytes.allSatisfy({ isWildcard($0) || $0 == UInt8(ascii: ".") }) { return (.any, bytes) }
        let hasWildcard = bytes.contains(where: isWildcard)
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if bytes.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") || isWildcard($0) }) {
            if !hasWildcard, EgressHost.canonicalIPAddress(String(text), ipv6: false) != String(text) {
                throw fail("\"\(text)\" is not an IPv4 address in dotted-quad form")
            }
            return (.ipv4, bytes)
        }
        if let bad = bytes.first(where: { !EgressHost.isNameByte($0) && $0 != UInt8(ascii: ".") && !isWildcard($0) }) {
            throw fail("the host contains \"\(Character(Unicode.Scalar(bad)))\" (allowed: letters, digits, \"-\", \"_\", \".\", \"*\", \"?\")")
        }
        if text.hasPrefix(".") || text.hasSuffix(".") || text.contains("..") {
            throw fail("the host has an empty label (a leading, trailing or doubled \".\")")
        }
        if !hasWildcard, !EgressHost.isName(String(text)) {
            throw fail("\"\(text)\" is not a host name (labels of 1 to 63 characters; the last not a number)")
        }
        return (.name, bytes)
    }

    /// The host of a bracketed pattern: canonical when it has no wildcard, lowercased otherwise.
    private static func ipv6Host(_ text: Substring, _ fail: (String) -> EgressPatternError) throws(EgressPatternError) -> [UInt8] {
        let bytes = Array(text.lowercased().utf8)
        guard bytes.allSatisfy({ EgressHost.isHexByte($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || isWildcard($0) }) else {
            throw fail("\"[\(text)]\" may hold only hexadecimal digits, \":\", \".\", \"*\" and \"?\"")
        }
        if bytes.contains(where: isWildcard) { return bytes }
        guard let canonical = EgressHost.canonicalIPAddress(String(text), ipv6: true) else {
            throw fail("\"[\(text)]\" is not an IPv6 address")
        }
        return Array(canonical.utf8)
    }

    private static func port(_ text: Substring, _ fail: (String) -> EgressPatternError) throws(EgressPatternError) -> [UInt8] {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw fail("empty port (write \"*\" for any port)") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard bytes.allSatisfy({ isDigit($0) || isWildcard($0) }) else {
            throw fail("the port \"\(text)\" must be digits, \"*\" or \"?\"")
        }
        guard bytes.filter({ $0 != UInt8(ascii: "*") }).count <= 5 else {
            throw fail("the port \"\(text)\" is above 65535")
        }
        if bytes.allSatisfy(isDigit) {
            guard bytes.first != UInt8(ascii: "0") else {
                throw fail(bytes.count == 1 ? "port 0 cannot be connected to" : "the port \"\(text)\" has a leading zero")
            }
            guard let value = Int(text), value <= 65535 else { throw fail("the port \"\(text)\" is above 65535") }
        }
        return bytes
    }

    /// Glob matching of `pattern` (`*` any run, `?` one byte) against the whole of `text`. Linear in practice:
    /// on a mismatch it only retries from the last `*`.
    static func glob(_ pattern: [UInt8], matches text: [UInt8]) -> Bool {
        var p = 0
        var t = 0
        var star: Int?
        var starText = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                starText = t
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let star {
                p = star + 1
                starText += 1
                t = starText
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
