import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CLI's client for a running `corral serve`: plain HTTP to the Lambda API, errors decoded from
/// Lambda's shape (x-amzn-ErrorType and the message).
struct APIClient {
    let endpoint: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    static let defaultEndpoint = ProcessInfo.processInfo.environment["CORRAL_ENDPOINT"] ?? "http://127.0.0.1:9000"

    /// Sends one request; a Lambda error status becomes `Failure("Type: message")`.
    func send(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
        guard let url = URL(string: endpoint + path) else { throw Failure(description: "bad endpoint \(endpoint)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 960
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure(description: "cannot reach corral at \(endpoint) (is `corral serve` running? --endpoint or CORRAL_ENDPOINT): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw Failure(description: "no HTTP response from \(endpoint)") }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
        let reply = Reply(status: http.statusCode, headers: fields, body: data)
        if http.statusCode >= 300 {
            let type = fields["x-amzn-errortype"] ?? "HTTP \(http.statusCode)"
            let message = (reply.json["message"] ?? reply.json["Message"]) as? String ?? String(decoding: data, as: UTF8.self)
            throw Failure(description: "\(type): \(message)")
        }
        return reply
    }

    static func encode(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? name
    }
}
