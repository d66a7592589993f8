import Crypto
import Foundation

/// AWS Signature Version 4, server side: rebuilds the canonical request exactly as AWS does for a non-S3
/// service (double-encoded path, sorted query, only the SignedHeaders), derives the signing key and
/// compares in constant time. Pure: the caller supplies the secret for an access key and the time.
public enum SigV4 {
    /// A request as it arrived: the raw path and query (still percent-encoded as sent), headers in order.
    public struct Request: Sendable {
        public var method: String
        public var rawPath: String
        public var rawQuery: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(method: String, rawPath: String, rawQuery: String = "", headers: [(name: String, value: String)], body: [UInt8] = []) {
            self.method = method
            self.rawPath = rawPath
            self.rawQuery = rawQuery
            self.headers = headers
            self.body = body
        }

        func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name }.map(\.value)
        }
    }

    /// Who signed, once verified.
    public struct Signer: Equatable, Sendable {
        public var accessKeyID: String
        public var region: String
        public var date: String
    }

    public enum Failure: Error, Equatable, Sendable {
        /// No Authorization header (MissingAuthenticationTokenException).
        case missingAuthentication
        /// The header or scope is malformed, or names another service (InvalidSignatureException).
        case malformed(String)
        /// The access key is not known (UnrecognizedClientException).
        case unknownKey
        /// Recomputed signature differs (InvalidSignatureException).
        case mismatch
        /// X-Amz-Date is more than 15 minutes from now (InvalidSignatureException, AWS's wording).
        case skewed(String)
    }

    public static let service = "lambda"
    public static let allowedSkew: TimeInterval = 15 * 60
    static let algorithm = "AWS4-HMAC-SHA256"

    /// Verifies `request`; `secret` returns the secret of an access key id (nil when unknown).
    public static func verify(_ request: Request, now: Date, secret: (String) -> String?) throws(Failure) -> Signer {
        guard let authorization = request.values("authorization").first else { throw .missingAuthentication }
        return try verify(request, authorization: try parse(authorization: authorization), now: now, secret: secret)
    }

    /// Verifies `request` under its already parsed Authorization header (see `parse(authorization:)`).
    public static func verify(_ request: Request, authorization parsed: Authorization, now: Date, secret: (String) -> String?) throws(Failure) -> Signer {
        guard let amzDate = request.values("x-amz-date").first ?? request.values("date").first else {
            throw .malformed("X-Amz-Date is missing")
        }
        guard let signedAt = parseAmzDate(amzDate) else { throw .malformed("X-Amz-Date '\(amzDate)' is not YYYYMMDDTHHMMSSZ") }
        guard parsed.date == String(amzDate.prefix(8)) else {
            throw .malformed("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(parsed.date)' != '\(amzDate.prefix(8))'")
        }
        guard parsed.service == service else { throw .malformed("Credential should be scoped to correct service: '\(service)'.") }
        if signedAt < now.addingTimeInterval(-allowedSkew) {
            throw .skewed("Signature expired: \(amzDate) is now earlier than \(format(now.addingTimeInterval(-allowedSkew))) (\(format(now)) - 15 min.)")
        }
        if signedAt > now.addingTimeInterval(allowedSkew) {
            throw .skewed("Signature not yet current: \(amzDate) is still later than \(format(now.addingTimeInterval(allowedSkew))) (\(format(now)) + 15 min.)")
        }
        guard let key = secret(parsed.accessKeyID) else { throw .unknownKey }
        // A payload hash the client sends is what the signature covers: it must be the body's (or say
        // UNSIGNED-PAYLOAD), or a signed request could carry another body.
        if let claimed = request.values("x-amz-content-sha256").first, claimed != "UNSIGNED-PAYLOAD",
           claimed.lowercased() != hex(SHA256.hash(data: request.body)) {
            throw .mismatch
        }
        let expected = signature(for: request, signedHeaders: parsed.signedHeaders, amzDate: amzDate, date: parsed.date,
                                 region: parsed.region, secret: key)
        guard constantTimeEquals(Array(expected.utf8), Array(parsed.signature.lowercased().utf8)) else { throw .mismatch }
        return Signer(accessKeyID: parsed.accessKeyID, region: parsed.region, date: parsed.date)
    }


    /// The hex signature AWS computes for `request` over `signedHeaders`.
    public static func signature(for request: Request, signedHeaders: [String], amzDate: String, date: String, region: String, secret: String) -> String {
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let canonical = canonicalRequest(request, signedHeaders: signedHeaders)
        let stringToSign = [algorithm, amzDate, scope, hex(SHA256.hash(data: Array(canonical.utf8)))].joined(separator: "\n")
        let key = signingKey(secret: secret, date: date, region: region)
        return hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: SymmetricKey(data: key)))
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    /// Kept per secret, day and region (four HMACs saved on every request but the first of a day).
    public static func signingKey(secret: String, date: String, region: String) -> [UInt8] {
        let cacheKey = secret + "/" + date + "/" + region
        if let key = signingKeys.withLock({ $0[cacheKey] }) { return key }
        var key = Array(("AWS4" + secret).utf8)
        for part in [date, region, service, "aws4_request"] {
            key = Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: SymmetricKey(data: key)))
        }
        let derived = key
        signingKeys.withLock { keys in
            if keys.count >= 1024 { keys.removeAll() }
            keys[cacheKey] = derived
        }
        return key
    }

    private static let signingKeys = LockedDictionary()

    public static func canonicalRequest(_ request: Request, signedHeaders: [String]) -> String {
        let headerLines = signedHeaders.map { name in
            name + ":" + request.values(name).map(normalizeHeaderValue).joined(separator: ",")
        }
        let payloadHash = request.values("x-amz-content-sha256").first ?? hex(SHA256.hash(data: request.body))
        return [request.method.uppercased(), canonicalURI(request.rawPath), canonicalQuery(request.rawQuery),
                headerLines.joined(separator: "\n") + "\n", signedHeaders.joined(separator: ";"), payloadHash].joined(separator: "\n")
    }

    /// The wire path with dot-segments removed, percent-encoded again (non-S3 services double-encode).
    static func canonicalURI(_ rawPath: String) -> String {
        var segments: [Substring] = []
        for segment in rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            if segment == "." { continue }
            if segment == ".." { _ = segments.popLast(); continue }
            segments.append(segment)
        }
        let path = "/" + segments.joined(separator: "/")
        return encode(path, keepSlash: true)
    }

    /// Names and values decoded, re-encoded with the unreserved set, sorted by name then value.
    static func canonicalQuery(_ rawQuery: String) -> String {
        guard !rawQuery.isEmpty else { return "" }
        let pairs = rawQuery.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).removingPercentEncoding ?? String(s) }
            return (encode(decode(parts[0]), keepSlash: false), parts.count > 1 ? encode(decode(parts[1]), keepSlash: false) : "")
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func encode(_ text: String, keepSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func normalizeHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// A parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
    public struct Authorization: Sendable {
        public var accessKeyID, date, region, service: String
        public internal(set) var signedHeaders: [String]
        var signature: String
    }

    /// `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`.
    public static func parse(authorization: String) throws(Failure) -> Authorization {
        // Byte by byte: this runs on every request, and Substring trimming and comparison cost more than
        // the HMACs.
        let bytes = Array(authorization.utf8)
        let prefix = Array((algorithm + " ").utf8)
        guard bytes.starts(with: prefix) else { throw .malformed("Authorization must use \(algorithm)") }
        let space = UInt8(ascii: " "), comma = UInt8(ascii: ","), equals = UInt8(ascii: "=")
        var credential: String?, signed: String?, signature: String?
        var index = prefix.count
        while index < bytes.count {
            while index < bytes.count, bytes[index] == space || bytes[index] == comma { index += 1 }
            let start = index
            while index < bytes.count, bytes[index] != comma { index += 1 }
            var end = index
            while end > start, bytes[end - 1] == space { end -= 1 }
            guard start < end else { continue }
            guard let eq = bytes[start..<end].firstIndex(of: equals) else {
                throw .malformed("Authorization header requires '=' in '\(String(decoding: bytes[start..<end], as: UTF8.self))'")
            }
            let value = String(decoding: bytes[(eq + 1)..<end], as: UTF8.self)
            let name = bytes[start..<eq]
            if name.elementsEqual("Credential".utf8) { credential = value }
            else if name.elementsEqual("SignedHeaders".utf8) { signed = value }
            else if name.elementsEqual("Signature".utf8) { signature = value }
        }
        guard let credential, let signed, let signature else {
            throw .malformed("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false)
        guard scope.count == 5, scope[4] == "aws4_request", !scope[0].isEmpty else {
            throw .malformed("Credential should be scoped to a valid region and terminated by 'aws4_request'")
        }
        let headers = signed.split(separator: ";").map { $0.lowercased() }
        guard headers.contains("host"), headers == headers.sorted() else { throw .malformed("SignedHeaders must include host and be sorted") }
        return Authorization(accessKeyID: String(scope[0]), date: String(scope[1]), region: String(scope[2]), service: String(scope[3]),
                             signedHeaders: headers, signature: String(signature))
    }

    /// `YYYYMMDDTHHMMSSZ` (X-Amz-Date) to a date, or nil. Parsed by hand: DateFormatter goes through ICU
    /// and a lock, which cost more than the rest of the verification and serialized the API's threads.
    static func parseAmzDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
              let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var fields = tm()
        fields.tm_year = Int32(year - 1900)
        fields.tm_mon = Int32(month - 1)
        fields.tm_mday = Int32(day)
        fields.tm_hour = Int32(hour)
        fields.tm_min = Int32(minute)
        fields.tm_sec = Int32(second)
        let seconds = timegm(&fields)
        // timegm normalizes out-of-range days (Feb 31): such a date is not one the client could have sent.
        guard fields.tm_mday == Int32(day), fields.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// A date as X-Amz-Date writes it, `YYYYMMDDTHHMMSSZ` (UTC).
    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(fields.tm_year + 1900)\(two(fields.tm_mon + 1))\(two(fields.tm_mday))T\(two(fields.tm_hour))\(two(fields.tm_min))\(two(fields.tm_sec))Z"
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares without an early exit, so timing does not reveal how much of a signature matched.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// A dictionary behind a lock, for the signing-key cache.
final class LockedDictionary: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: [UInt8]] = [:]

    func withLock<T>(_ body: (inout [String: [UInt8]]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&values)
    }
}
