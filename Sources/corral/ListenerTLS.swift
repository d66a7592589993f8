import CorralEgress
import Foundation
import NIOSSL

/// TLS on the API listener: the certificate chain and private key (PEM files the configuration names),
/// checked when the settings are, and what each side needs: the listener's server configuration and the
/// pin the sandboxes' Lambda endpoints use to reach the listener.
///
/// A signed request can be replayed for 15 minutes (SigV4's clock skew), and a session token read off the
/// wire is a key: beyond loopback the API is served over TLS, or not at all unless the operator says so.
struct ListenerTLS {
    let certificateFile: String
    let keyFile: String
    /// Leaf first, as the file holds them.
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey

    /// TLS 1.2 at least, as AWS's own endpoints require.
    static let minimumVersion = TLSVersion.tlsv12

    /// Reads and checks both files: readable PEM, a key others cannot read, a certificate in its validity
    /// period, and a key that is the certificate's. Every refusal names the file and what to do.
    init(certificateFile: String, keyFile: String, now: Date = Date()) throws {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        try Self.checkKeyPermissions(keyFile)
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ConfigurationError(message: "tls.certificate \(certificateFile): not a readable PEM certificate chain (\(error))")
        }
        guard let leaf = chain.first else {
            throw ConfigurationError(message: "tls.certificate \(certificateFile): holds no certificate")
        }
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ConfigurationError(message: "tls.key \(keyFile): not a readable PEM private key (an encrypted key is not supported) (\(error))")
        }
        let seconds = Int(now.timeIntervalSince1970)
        guard seconds <= leaf.notValidAfter else {
            throw ConfigurationError(message: "tls.certificate \(certificateFile): expired on \(Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))); renew it")
        }
        guard seconds >= leaf.notValidBefore else {
            throw ConfigurationError(message: "tls.certificate \(certificateFile): not valid before \(Date(timeIntervalSince1970: TimeInterval(leaf.notValidBefore))) (is the clock right?)")
        }
        do {
            // Building the context loads the key against the chain: BoringSSL refuses a key that is not the leaf's.
            _ = try NIOSSLContext(configuration: serverConfiguration)
        } catch {
            throw ConfigurationError(message: "tls.key \(keyFile) is not the private key of tls.certificate \(certificateFile) (\(error))")
        }
    }

    /// The listener's side.
    var serverConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = Self.minimumVersion
        return configuration
    }

    /// The sandboxes' Lambda endpoints' side: this certificate and no other.
    func pinned() throws -> PinnedCertificate {
        try PinnedCertificate(chain: chain)
    }

    /// A private key must not be readable by anyone but its owner: the running user (mode 0600 or less), or
    /// root, which may add its group (0640, as Debian's ssl-cert group has /etc/ssl/private).
    static func checkKeyPermissions(_ path: String) throws {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw ConfigurationError(message: "tls.key \(path): cannot be read (\(error.localizedDescription))")
        }
        let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value ?? UInt32.max
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard owner == geteuid() || owner == 0 else {
            throw ConfigurationError(message: "tls.key \(path): owned by uid \(owner); it must be owned by the user running corral, or by root")
        }
        let allowed = owner == 0 ? 0o640 : 0o600
        guard mode & ~allowed == 0 else {
            throw ConfigurationError(message: "tls.key \(path): mode \(String(mode, radix: 8)) lets others read it; chmod \(String(allowed, radix: 8)) or less")
        }
    }
}
