import NIOCore
import NIOSSL

/// Where a TCPForwarder sends its connections: a host and port, and TLS when the destination serves it.
public struct ForwardTarget: Sendable {
    public var host: String
    public var port: Int
    /// TLS to the destination, which must present exactly this certificate; nil forwards the bytes as they are.
    public var tls: PinnedCertificate?

    public init(host: String, port: Int, tls: PinnedCertificate? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
    }
}

/// A TLS client that accepts one server certificate and no other. The forwarder connects to Corral's own
/// API listener, whose certificate it read from the same file the listener serves: the certificate's
/// names (which need not include the loopback address connected to) and its issuer do not matter, only
/// that the peer holds the key of this very certificate. A certificate issued by a public CA to someone
/// else, or the same name on another key, is refused.
public struct PinnedCertificate: Sendable {
    let context: NIOSSLContext
    /// The leaf: the first certificate of the chain file.
    let leaf: NIOSSLCertificate

    /// `chain`: the server's certificate chain as it serves it, leaf first.
    public init(chain: [NIOSSLCertificate]) throws {
        guard let leaf = chain.first else { throw NIOSSLError.failedToLoadCertificate }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        // Verification stays on, so the custom callback below decides; the name is not checked (the pin is
        // stricter than any name).
        configuration.certificateVerification = .noHostnameVerification
        self.context = try NIOSSLContext(configuration: configuration)
        self.leaf = leaf
    }

    /// The handler to put first in an upstream channel's pipeline.
    func clientHandler() throws -> NIOSSLClientHandler {
        let expected = leaf
        return try NIOSSLClientHandler(context: context, serverHostname: nil) { presented, promise in
            promise.succeed(presented.first == expected ? .certificateVerified : .failed)
        }
    }
}
