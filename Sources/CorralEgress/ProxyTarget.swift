/// What a client asked the proxy for, read from a request line: the destination (host and port) and, for
/// plain HTTP, the path to ask for there. Anything the proxy could read two ways is refused, so the
/// destination checked against the allowlist is the one connected to:
/// - CONNECT takes authority-form only, `host:port` with the port required;
/// - plain HTTP takes absolute-form `http://host[:port]/path?query` only (default port 80);
/// - userinfo (`user@host`), an unbracketed IPv6 address, an empty or non-numeric port, or a host that is not
///   a name or an IP literal (see `EgressHost`) are refused.
struct ProxyTarget: Hashable, Sendable {
    let host: EgressHost
    let port: Int
    /// The origin-form request target (`/path?query`) for plain HTTP; nil for CONNECT.
    let path: String?

    /// Why a request target was refused (the text of a 400).
    struct Malformed: Error, Equatable {
        let reason: String
    }

    /// `host:port` for logs and messages.
    var destination: String { "\(host):\(port)" }

    /// The Host header the upstream request carries: the authority of the absolute URI.
    var hostHeader: String { port == 80 ? host.description : destination }

    /// The target of a CONNECT request: `host:port`.
    static func connect(_ uri: String) throws(Malformed) -> ProxyTarget {
        let (host, port) = try authority(Substring(uri), defaultPort: nil)
        return ProxyTarget(host: host, port: port, path: nil)
    }

    /// The target of a plain HTTP request through a proxy: `http://host[:port][/path][?query]`.
    static func absolute(_ uri: String) throws(Malformed) -> ProxyTarget {
        guard let schemeEnd = uri.firstRange(of: "://") else {
            throw Malformed(reason: "a request through the proxy must use an absolute URI (http://host/path) or CONNECT host:port")
        }
        let scheme = uri[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" else {
            throw Malformed(reason: scheme == "https"
                ? "https goes through the proxy with CONNECT host:443, not as an absolute URI"
                : "only http:// URIs can be proxied (and other protocols through CONNECT)")
        }
        let rest = uri[schemeEnd.upperBound...]
        let endsAuthority: (Character) -> Bool = { $0 == "/" || $0 == "?" || $0 == "#" }
        let authorityEnd = rest.firstIndex(where: endsAuthority) ?? rest.endIndex
        let (host, port) = try authority(rest[..<authorityEnd], defaultPort: 80)
        var path = rest[authorityEnd...]
        if let fragment = path.firstIndex(of: "#") { path = path[..<fragment] }
        let origin = path.hasPrefix("/") ? String(path) : "/" + path
        return ProxyTarget(host: host, port: port, path: origin)
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`; the port is required when `defaultPort` is nil.
    static func authority(_ text: Substring, defaultPort: Int?) throws(Malformed) -> (EgressHost, Int) {
        guard !text.isEmpty else { throw Malformed(reason: "the URI has no host") }
        guard !text.contains("@") else { throw Malformed(reason: "userinfo (user@host) is not allowed in a proxied URI") }
        let hostText: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw Malformed(reason: "\"[\" without \"]\" in \"\(text)\"") }
            hostText = text[...close]
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw Malformed(reason: "unexpected text after \"]\" in \"\(text)\"") }
            portText = rest.isEmpty ? nil : rest.dropFirst()
        } else if let colon = text.firstIndex(of: ":") {
            let port = text[text.index(after: colon)...]
            guard !port.contains(":") else {
                throw Malformed(reason: "an IPv6 address must be written in brackets, as in [::1]:443")
            }
            hostText = text[..<colon]
            portText = port
        } else {
            hostText = text
            portText = nil
        }
        guard let host = EgressHost(hostText) else {
            throw Malformed(reason: "\"\(hostText)\" is not a host name or an IP address")
        }
        guard let portText else {
            guard let defaultPort else { throw Malformed(reason: "CONNECT needs host:port, with the port") }
            return (host, defaultPort)
        }
        guard (1...5).contains(portText.utf8.count),
              portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let port = Int(portText), (1...65535).contains(port)
        else {
            throw Malformed(reason: "\"\(portText)\" is not a port (1 to 65535)")
        }
        return (host, port)
    }
}
