import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The CLI's client for a running `corral serve`: HTTP to the Lambda API through AsyncHTTPClient (on the
/// SwiftNIO the server already links, rather than FoundationNetworking and libcurl, which would add some
/// twenty shared libraries to every corral command's start), errors decoded from Lambda's shape.
struct APIClient {
    let endpoint: String
    /// What requests are signed with (ClientCredentials.discover); nil sends them unsigned.
    var credentials: ClientCredentials? = ClientCredentials.discover()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Reply {
        var status: Int
        /// Header names lowercased.
        var headers: [String: String]
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    /// The HTTP client. For an https endpoint it trusts the system's store, or AWS_CA_BUNDLE when that is set,
    /// as the aws CLI and boto3 read it (a PEM bundle: a private CA, or a self-signed server's own
    /// certificate). A connection that cannot be made (nothing listening, a certificate not trusted) fails
    /// the command at once rather than being retried until the connect timeout.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        if let bundle = ProcessInfo.processInfo.environment["AWS_CA_BUNDLE"], !bundle.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(bundle)
            configuration.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    static let defaultEndpoint = ProcessInfo.processInfo.environment["CORRAL_ENDPOINT"] ?? "http://127.0.0.1:9000"
    static let responseLimit = 64 << 20

    /// Sends one request; a Lambda error status becomes `Failure("Type: message")`.
    func send(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = HTTPMethod(rawValue: method)
        var bytes: [UInt8] = []
        var signedHeaders: [(name: String, value: String)] = headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        if let json {
            bytes = Array(try JSONSerialization.data(withJSONObject: json))
            signedHeaders.append((name: "Content-Type", value: "application/json"))
        } else if let body {
            bytes = Array(body)
        }
        if !bytes.isEmpty { request.body = .bytes(ByteBuffer(bytes: bytes)) }
        for (name, value) in signedHeaders { request.headers.add(name: name, value: value) }
        if let credentials, let url = URL(string: endpoint + path) {
            // Host is set as signed; AsyncHTTPClient sends the header it is given.
            request.headers.replaceOrAdd(name: "Host", value: ClientCredentials.host(url))
            for (name, value) in credentials.sign(method: method, host: ClientCredentials.host(url), target: path, headers: signedHeaders, body: bytes) {
                request.headers.add(name: name, value: value)
            }
        }
        let status: Int
        var fields: [String: String] = [:]
        let data: Data
        do {
            let response = try await Self.http.execute(request, timeout: .seconds(960))
            status = Int(response.status.code)
            for header in response.headers { fields[header.name.lowercased()] = header.value }
            data = Data(try await response.body.collect(upTo: Self.responseLimit).readableBytesView)
        } catch {
            let hint = "\(error)".contains("CERTIFICATE_VERIFY_FAILED")
                ? "its certificate is not trusted (a private CA or a self-signed certificate: AWS_CA_BUNDLE=PEM-FILE)"
                : "is `corral serve` running? --endpoint or CORRAL_ENDPOINT"
            throw Failure(description: "cannot reach corral at \(endpoint) (\(hint)): \(error)")
        }
        let reply = Reply(status: status, headers: fields, body: data)
        if status >= 300 {
            let type = fields["x-amzn-errortype"] ?? "HTTP \(status)"
            var message = (reply.json["message"] ?? reply.json["Message"]) as? String ?? String(decoding: data, as: UTF8.self)
            if status == 403 {
                message += credentials.map { " (signed with \($0.credentials.accessKeyID) from \($0.source))" }
                    ?? " (no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_SHARED_CREDENTIALS_FILE, or CORRAL_DATA to the server's data directory, whose credentials file the server writes on its first start)"
            }
            throw Failure(description: "\(type): \(message)")
        }
        return reply
    }

    /// `role` as an ARN: an ARN as given, a bare name as a role of the caller's account (GET /corral/caller).
    func roleARN(_ role: String) async throws -> String {
        if role.hasPrefix("arn:") { return role }
        guard let account = try await send("GET", "/corral/caller").json["Account"] as? String else {
            throw Failure(description: "the server did not say which account these credentials belong to")
        }
        return "arn:aws:iam::\(account):role/\(role)"
    }

    static func encode(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? name
    }
}
