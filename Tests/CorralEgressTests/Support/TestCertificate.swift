import Foundation
import NIOSSL

/// A self-signed certificate and its key, made with openssl in a temporary directory (removed at once:
/// both are loaded into memory).
struct TestCertificate {
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey

    init(name: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-cert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory + "/key.pem",
                             "-out", directory + "/cert.pem", "-days", "2", "-subj", "/CN=\(name)"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        chain = try NIOSSLCertificate.fromPEMFile(directory + "/cert.pem")
        key = try NIOSSLPrivateKey(file: directory + "/key.pem", format: .pem)
    }

    /// A server context presenting this certificate.
    func serverContext() throws -> NIOSSLContext {
        try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
    }
}
