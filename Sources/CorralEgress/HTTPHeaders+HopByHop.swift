import NIOHTTP1

extension HTTPHeaders {
    /// Fields that belong to one connection, not to the message (RFC 9110 section 7.6.1), which a proxy must
    /// not pass on.
    static let hopByHopFields: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "upgrade",
    ]

    /// Fields a Connection header may not make the proxy drop: the forwarded message is framed by them.
    static let framingFields: Set<String> = ["content-length", "transfer-encoding", "host"]

    /// Removes the hop-by-hop fields and those the Connection header names. Content-Length and
    /// Transfer-Encoding stay: the encoder on the other side frames the forwarded message by them.
    mutating func removeHopByHopFields() {
        var names = Self.hopByHopFields
        for token in self[canonicalForm: "connection"] {
            let name = token.lowercased()
            if !Self.framingFields.contains(name) { names.insert(name) }
        }
        for name in names { remove(name: name) }
    }
}
