import Crypto
import Foundation

extension SigV4 {
    /// Credentials a client signs with.
    public struct Credentials: Equatable, Sendable {
        public var accessKeyID: String
        public var secretAccessKey: String

        public init(accessKeyID: String, secretAccessKey: String) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }
    }

    /// Signs `request` as boto3 does: every header it carries (which must include `host`) plus the
    /// `x-amz-date` this adds. Returns the headers to send with it: `X-Amz-Date` and `Authorization`.
    /// Headers added after signing (Content-Length, User-Agent) are not covered, as with boto3.
    public static func sign(_ request: Request, credentials: Credentials, region: String, now: Date = Date()) -> [(name: String, value: String)] {
        let amzDate = format(now)
        let date = String(amzDate.prefix(8))
        var signed = request
        signed.headers.append((name: "x-amz-date", value: amzDate))
        let names = Set(signed.headers.map { $0.name.lowercased() }).sorted()
        let signature = signature(for: signed, signedHeaders: names, amzDate: amzDate, date: date, region: region,
                                  secret: credentials.secretAccessKey)
        let authorization = "\(algorithm) Credential=\(credentials.accessKeyID)/\(date)/\(region)/\(service)/aws4_request, "
            + "SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"
        return [(name: "X-Amz-Date", value: amzDate), (name: "Authorization", value: authorization)]
    }
}
