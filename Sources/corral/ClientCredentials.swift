import CorralAuth
import Foundation

/// Where corral's client commands find the credentials they sign with, first match wins:
/// 1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment;
/// 2. AWS_SHARED_CREDENTIALS_FILE, profile AWS_PROFILE (or `default`);
/// 3. the local server's own credentials file, DATA/credentials (CORRAL_DATA, else the server's default
///    data directory), which the server writes on its first start;
/// 4. ~/.aws/credentials, profile AWS_PROFILE (or `default`).
/// The region signed into requests is AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
struct ClientCredentials {
    let credentials: SigV4.Credentials
    let region: String
    /// Where they came from, for error messages.
    let source: String

    static func discover(environment: [String: String] = ProcessInfo.processInfo.environment) -> ClientCredentials? {
        let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !id.isEmpty, !secret.isEmpty {
            return ClientCredentials(credentials: .init(accessKeyID: id, secretAccessKey: secret), region: region, source: "the AWS_* environment")
        }
        let profile = environment["AWS_PROFILE"] ?? "default"
        var files: [String] = []
        if let shared = environment["AWS_SHARED_CREDENTIALS_FILE"] { files.append(shared) }
        files.append((environment["CORRAL_DATA"] ?? ServeCommand.defaultDataDirectory) + "/credentials")
        files.append(NSHomeDirectory() + "/.aws/credentials")
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                  let found = parse(text, profile: profile) else { continue }
            return ClientCredentials(credentials: found, region: region, source: "\(file) [\(profile)]")
        }
        return nil
    }

    /// The `aws_access_key_id` and `aws_secret_access_key` of `[profile]` in an AWS shared-credentials file.
    static func parse(_ text: String, profile: String) -> SigV4.Credentials? {
        var section: String?
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            values[line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        guard let id = values["aws_access_key_id"], let secret = values["aws_secret_access_key"], !id.isEmpty, !secret.isEmpty else { return nil }
        return SigV4.Credentials(accessKeyID: id, secretAccessKey: secret)
    }

    /// The headers that sign a request (X-Amz-Date, Authorization) for `host` and `target` (the path and
    /// query as sent), covering `headers` (every header sent that the server may check: Content-Type,
    /// X-Amz-*) and Host. No URL parsing: this runs for every request the bench sends.
    func sign(method: String, host: String, target: String, headers: [(name: String, value: String)], body: [UInt8],
              now: Date = Date()) -> [(name: String, value: String)] {
        let question = target.firstIndex(of: "?")
        let rawPath = question.map { String(target[..<$0]) } ?? target
        let rawQuery = question.map { String(target[target.index(after: $0)...]) } ?? ""
        let request = SigV4.Request(method: method, rawPath: rawPath.isEmpty ? "/" : rawPath, rawQuery: rawQuery,
                                    headers: [(name: "host", value: host)] + headers, body: body)
        return SigV4.sign(request, credentials: credentials, region: region, now: now)
    }

    /// The Host header a client sends for `url`: host, and the port when it is not the scheme's default.
    static func host(_ url: URL) -> String {
        let host = url.host ?? "localhost"
        guard let port = url.port, !(url.scheme == "http" && port == 80), !(url.scheme == "https" && port == 443) else { return host }
        return "\(host):\(port)"
    }
}
