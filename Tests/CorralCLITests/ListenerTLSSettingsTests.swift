import Foundation
import Testing

/// Issue 14 item 6: beyond loopback the API is TLS, unless the operator explicitly says otherwise; the
/// certificate and key are checked before the server starts (`corral serve --check`).
@Suite struct ListenerTLSSettingsTests {
    /// A scratch directory with certificates made by openssl, removed at the end.
    final class Scratch {
        let directory: URL
        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: directory) }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        @discardableResult
        func openssl(_ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// A self-signed certificate NAME.pem and its key NAME-key.pem (0600).
        func certificate(_ name: String) throws -> (certificate: String, key: String) {
            let made = try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name)-key.pem",
                                    "-out", "\(name).pem", "-days", "2", "-subj", "/CN=\(name)"])
            try #require(made == 0, "openssl req")
            chmod(path("\(name)-key.pem"), 0o600)
            return (path("\(name).pem"), path("\(name)-key.pem"))
        }

        /// A certificate valid only in 2020, signed by its own key (openssl ca, which takes explicit dates).
        func expiredCertificate() throws -> (certificate: String, key: String) {
            try "".write(toFile: path("index.txt"), atomically: true, encoding: .utf8)
            try "01\n".write(toFile: path("serial"), atomically: true, encoding: .utf8)
            try "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n"
                .write(toFile: path("ca.cnf"), atomically: true, encoding: .utf8)
            try #require(try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "old-key.pem",
                                      "-out", "old.csr", "-subj", "/CN=old"]) == 0)
            try #require(try openssl(["ca", "-config", "ca.cnf", "-selfsign", "-keyfile", "old-key.pem", "-in", "old.csr", "-startdate", "20200101000000Z",
                                      "-enddate", "20201231000000Z", "-batch", "-out", "old.pem"]) == 0)
            chmod(path("old-key.pem"), 0o600)
            return (path("old.pem"), path("old-key.pem"))
        }

        /// `corral serve --check` with `yaml` as its configuration and `extra` options.
        func check(listen: String, yaml: String = "", _ extra: [String] = []) throws -> CorralBinary.Result {
            try yaml.write(toFile: path("corral.yaml"), atomically: true, encoding: .utf8)
            return try CorralBinary.run(["serve", "--config", path("corral.yaml"), "--data", path("data"), "--listen", listen, "--check"] + extra)
        }
    }

    @Test(arguments: ["0.0.0.0:9000", "192.0.2.1:9000", "[::]:9000", "example.com:9000"])
    func plainHTTPBeyondLoopbackIsRefused(_ listen: String) throws {
        let scratch = try Scratch()
        let refused = try scratch.check(listen: listen)
        #expect(refused.status != 0 && refused.stderr.contains("beyond loopback") && refused.stderr.contains("replayed"), "\(refused)")
        // The operator's explicit word, in the file or on the command line, and nothing less, lets it through.
        let inFile = try scratch.check(listen: listen, yaml: "allowPlaintextBeyondLoopback: true\n")
        #expect(inFile.status == 0, "\(inFile)")
        let onCommandLine = try scratch.check(listen: listen, ["--allow-plaintext-beyond-loopback"])
        #expect(onCommandLine.status == 0, "\(onCommandLine)")
        let notABool = try scratch.check(listen: listen, yaml: "allowPlaintextBeyondLoopback: yes please\n")
        #expect(notABool.status != 0 && notABool.stderr.contains("must be true or false"), "\(notABool)")
    }

    @Test(arguments: ["127.0.0.1:9000", "127.8.9.10:9000", "localhost:9000", "[::1]:9000"])
    func plainHTTPOnLoopbackIsAccepted(_ listen: String) throws {
        let result = try Scratch().check(listen: listen)
        #expect(result.status == 0, "the oracle: the same check lets loopback through: \(result)")
    }

    @Test func aCertificateAndItsKeyServeBeyondLoopback() throws {
        let scratch = try Scratch()
        let pair = try scratch.certificate("corral")
        let inFile = try scratch.check(listen: "0.0.0.0:9443", yaml: "tls: {certificate: \(pair.certificate), key: \(pair.key)}\n")
        #expect(inFile.status == 0, "\(inFile)")
        // Relative paths on the command line are the working directory's.
        let onCommandLine = try CorralBinary.run(["serve", "--data", scratch.path("data"), "--listen", "0.0.0.0:9443", "--check",
                                                  "--tls-certificate", "corral.pem", "--tls-key", "corral-key.pem"], in: scratch.directory)
        #expect(onCommandLine.status == 0, "\(onCommandLine)")
    }

    @Test func everyBadCertificateOrKeyIsRefusedNamingTheFile() throws {
        let scratch = try Scratch()
        let pair = try scratch.certificate("corral"), other = try scratch.certificate("other")
        func refusal(_ certificate: String, _ key: String) throws -> String {
            let result = try scratch.check(listen: "0.0.0.0:9443", yaml: "tls: {certificate: \(certificate), key: \(key)}\n")
            #expect(result.status != 0, "\(result)")
            return result.stderr
        }
        #expect(try refusal(pair.certificate, other.key).contains("is not the private key of tls.certificate \(pair.certificate)"))
        #expect(try refusal(pair.key, pair.key).contains("tls.certificate \(pair.key): not a readable PEM certificate"))
        #expect(try refusal(pair.certificate, scratch.path("missing.pem")).contains("tls.key \(scratch.path("missing.pem")): cannot be read"))
        let expired = try scratch.expiredCertificate()
        #expect(try refusal(expired.certificate, expired.key).contains("expired on 2020-12-31"))
        chmod(pair.key, 0o644)
        #expect(try refusal(pair.certificate, pair.key).contains("lets others read it"))
        chmod(pair.key, 0o600)
        #expect(try scratch.check(listen: "0.0.0.0:9443", yaml: "tls: {certificate: \(pair.certificate), key: \(pair.key)}\n").status == 0,
                "the oracle: the same pair, its key private again, is accepted")

        let half = try CorralBinary.run(["serve", "--data", scratch.path("data"), "--listen", "0.0.0.0:9443", "--check", "--tls-certificate", pair.certificate])
        #expect(half.status != 0 && half.stderr.contains("--tls-certificate and --tls-key go together"), "\(half)")
        let relative = try scratch.check(listen: "0.0.0.0:9443", yaml: "tls: {certificate: corral.pem, key: corral-key.pem}\n")
        #expect(relative.status != 0 && relative.stderr.contains("absolute paths"), "\(relative)")
    }
}
