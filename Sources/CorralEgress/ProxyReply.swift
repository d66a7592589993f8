import NIOCore
import NIOHTTP1
import NIOPosix

/// One of the proxy's own answers (a refusal or a failure): a status and a short plain-text reason. The
/// connection always closes after it.
struct ProxyReply: Sendable, Equatable {
    let status: HTTPResponseStatus
    let message: String

    /// 403: the role does not grant the destination.
    static func forbidden(_ target: ProxyTarget) -> ProxyReply {
        ProxyReply(status: .forbidden, message: "The function's execution role does not grant net:Connect to \(target.destination).")
    }

    /// 400: the request line cannot be proxied.
    static func malformed(_ reason: String) -> ProxyReply {
        ProxyReply(status: .badRequest, message: "Bad request: \(reason).")
    }

    /// 502 when the destination refused, could not be resolved or broke off; 504 when connecting timed out;
    /// 403 when a granted name resolves only to loopback or link-local addresses (HostResolution).
    static func upstreamFailed(_ target: ProxyTarget, _ error: any Error) -> ProxyReply {
        if let refused = error as? HostResolution.InternalOnly {
            return ProxyReply(status: .forbidden, message: "Refused \(target.destination): \(refused).")
        }
        if let failed = error as? HostResolution.Failed {
            return ProxyReply(status: .badGateway, message: "Could not resolve \(failed.name): \(failed.reason).")
        }
        if case let ChannelError.connectTimeout(after) = error {
            let seconds = Double(after.nanoseconds) / 1e9
            return ProxyReply(status: .gatewayTimeout, message: "Connecting to \(target.destination) timed out after \(seconds) s.")
        }
        if let error = error as? NIOConnectionError, error.connectionErrors.isEmpty, let dns = error.dnsAError ?? error.dnsAAAAError {
            return ProxyReply(status: .badGateway, message: "Could not resolve \(target.host): \(dns).")
        }
        return ProxyReply(status: .badGateway, message: "Could not connect to \(target.destination): \(error).")
    }

    /// 502: the destination closed or failed before it answered.
    static func noResponse(_ target: ProxyTarget) -> ProxyReply {
        ProxyReply(status: .badGateway, message: "\(target.destination) closed the connection without a response.")
    }

    static let headTooLarge = ProxyReply(status: .requestHeaderFieldsTooLarge, message: "The request head is too large.")
    static let headTimeout = ProxyReply(status: .requestTimeout, message: "The request head did not arrive in time.")
    static let busy = ProxyReply(status: .serviceUnavailable, message: "Too many connections to the egress proxy.")

    var body: ByteBuffer { ByteBuffer(string: message + "\n") }

    var head: HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: [
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Length": String(body.readableBytes),
            "Connection": "close",
        ])
    }

    /// The whole response as bytes, for a connection that has no HTTP encoder.
    var bytes: ByteBuffer {
        var buffer = ByteBuffer(string: "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        for (name, value) in head.headers { buffer.writeString("\(name): \(value)\r\n") }
        buffer.writeString("\r\n")
        var body = body
        buffer.writeBuffer(&body)
        return buffer
    }
}
