import Foundation
import Testing

/// Issue 14 item 6: the API served over TLS, as a listener beyond loopback must be. tls.py drives it with
/// boto3 and from inside a sandbox; the CLI is checked here.
extension ServerTests {
    /// A self-signed certificate for 127.0.0.1 and localhost, and its key (0600), made with openssl.
    static func makeCertificate(in directory: String, name: String) throws -> (certificate: String, key: String) {
        let certificate = directory + "/\(name).pem", key = directory + "/\(name)-key.pem"
        let made = try run(["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(name)",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        try #require(made.status == 0, "openssl: \(made.errors)")
        chmod(key, 0o600)
        return (certificate, key)
    }

    @Test("with a certificate the API is HTTPS only: boto3, the CLI (AWS_CA_BUNDLE) and code locations use it; a sandbox's Lambda endpoint reaches it; plain HTTP and other trust get nothing")
    func tlsListener() throws {
        let python = try Self.gate()
        let scratch = Scratch("tls")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.code, withIntermediateDirectories: true)
        let served = try Self.makeCertificate(in: scratch.code, name: "corral-test")
        let other = try Self.makeCertificate(in: scratch.code, name: "someone-else")

        let port = Self.freePort()
        let server = try Server(data: scratch.directory, port: port, settings: """
            tls: {certificate: \(served.certificate), key: \(served.key)}
            connectionIdleSeconds: 1

            """)
        defer { _ = server.stop() }
        let policy = scratch.code + "/caller.json"
        try """
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:*:000000000000:function:helper"}]}
            """.write(toFile: policy, atomically: true, encoding: .utf8)
        #expect(try Self.run([Self.binary, "admin", "role", "put", "--tenant", "admin", "caller", "--policy", policy, "--data", scratch.directory]).status == 0)

        let endpoint = "https://127.0.0.1:\(port)"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("tls.py").path
        let result = try Self.run(["/usr/bin/env", python, script, endpoint, served.certificate, other.certificate])
        let seen = try #require((try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any],
                                "tls.py: \(result)\n--- server\n\(server.output)")
        let caller = try #require(seen["caller"] as? [String: Any])
        #expect(caller["error"] is NSNull, "\(caller)")
        let inside = try #require(caller["payload"] as? [String: Any], "\(caller)")
        // The function speaks plain HTTP on its own loopback; the supervisor's forwarder carries it over TLS.
        #expect(inside["endpoint"] as? String == "http://127.0.0.1:9002")
        #expect((inside["ping"] as? [String: Any])?["body"] as? String == "ok", "\(inside)")
        // Corral's API itself answered (an unsigned request, refused in Lambda's shape), not something else.
        let unsigned = inside["unsigned"] as? [String: Any]
        #expect(unsigned?["status"] as? Int == 403 && unsigned?["type"] as? String == "MissingAuthenticationTokenException", "\(inside)")

        #expect((seen["sleeper"] as? [String: Any])?["ok"] as? String == "slept", "an invocation is not an idle connection: \(seen)")
        #expect((seen["location"] as? String)?.hasPrefix(endpoint + "/corral/code/") == true, "\(seen)")
        #expect((seen["download"] as? [String: Any])?["ok"] as? String == "PK", "the zip, over TLS: \(seen)")
        #expect((seen["plainHTTP"] as? [String: Any])?["ok"] == nil, "plain HTTP must get no answer: \(seen)")
        #expect(((seen["otherTrust"] as? [String: Any])?["error"] as? String)?.contains("SSL") == true, "\(seen)")

        // corral's own CLI: AWS_CA_BUNDLE, as the aws CLI reads it; without it the system's store refuses the
        // self-signed certificate (the oracle that the CLI verifies at all).
        let trusted = try Self.run(["/usr/bin/env", "CORRAL_ENDPOINT=\(endpoint)", "AWS_CA_BUNDLE=\(served.certificate)", Self.binary, "functions"])
        #expect(trusted.status == 0 && trusted.output.contains("caller"), "\(trusted)")
        let untrusted = try Self.run(["/usr/bin/env", "CORRAL_ENDPOINT=\(endpoint)", "AWS_CA_BUNDLE=", Self.binary, "functions"])
        #expect(untrusted.status != 0 && untrusted.errors.contains("CERTIFICATE_VERIFY_FAILED") && untrusted.errors.contains("AWS_CA_BUNDLE=PEM-FILE"), "\(untrusted)")

        // A connection that never starts its TLS handshake is closed after connectionIdleSeconds: connections
        // from beyond loopback cannot be held open for nothing. recv() returns 0 only when the server closed
        // it; a connection left open would time out here instead (-1).
        let idle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(idle) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(idle, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(connected == 0)
        var wait = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(idle, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        #expect(recv(idle, &byte, 1, 0) == 0, "an idle connection is closed by the server")
    }
}
