import CorralAuth
import CorralPolicy
import CorralStore
import Foundation
import HTTPTypes
import Hummingbird

/// Authenticates a request, reading its body (which stays readable for the route), and returns its caller.
public typealias Authenticate = @Sendable (inout Request) async throws -> Caller

/// SigV4 verification of API requests against the tenants' access keys, with AWS's errors: 403
/// MissingAuthenticationTokenException (no Authorization), UnrecognizedClientException (an unknown or
/// revoked key), InvalidSignatureException (a malformed header, a wrong signature, a clock skew past 15
/// minutes, or a credential scope for another region or service). The key is looked up before the body is
/// read: an unknown caller cannot make the server buffer a large body.
///
/// The scope must name the server's own region and the operation's signing name, exactly: a key signs for
/// this server or for nothing. The caller's region is always the server's, so no part of a request's
/// signature reaches an ARN, a policy decision or the audit log.
public struct Authenticator: Sendable {
    /// An active key's record and secret, or nil.
    public typealias KeyLookup = @Sendable (String) throws -> (key: AccessKey, secret: String)?
    let lookup: KeyLookup
    /// The server's region and the service's signing name ("lambda"), which every scope must carry.
    let region: String
    let service: String
    /// Execution roles' short-lived credentials (`ASIA...` ids), checked before stored keys.
    let sessions: SessionCredentials?
    let now: @Sendable () -> Date
    /// The largest body any operation takes (CreateFunction's base64 zip).
    let bodyLimit: Int
    /// Keys' identity policies, parsed once per text.
    let policies = PolicyCache()

    public init(region: String = "us-east-1", service: String = "lambda", bodyLimit: Int = LambdaRoutes.controlBodyLimit,
                sessions: SessionCredentials? = nil, now: @escaping @Sendable () -> Date = { Date() }, lookup: @escaping KeyLookup) {
        self.lookup = lookup
        self.region = region
        self.service = service
        self.sessions = sessions
        self.now = now
        self.bodyLimit = bodyLimit
    }

    public func authenticate(_ request: inout Request) async throws -> Caller {
        guard let authorization = request.headers[.authorization] else { throw Self.missingToken }
        let parsed: SigV4.Authorization
        do {
            parsed = try SigV4.parse(authorization: authorization)
        } catch {
            guard case let .malformed(message) = error else { throw Self.invalidSignature("Authorization header is not AWS4-HMAC-SHA256") }
            throw Self.invalidSignature(message)
        }
        // AWS's own answers to a scope for another region or service (403 InvalidSignatureException).
        guard parsed.region == region else { throw Self.invalidSignature("Credential should be scoped to a valid region, not '\(parsed.region)'.") }
        guard parsed.service == service else { throw Self.invalidSignature("Credential should be scoped to correct service: '\(service)'.") }
        let keyID = parsed.accessKeyID
        let secret: String
        let makeCaller: (_ region: String) -> Caller
        if SessionCredentials.isSessionKeyID(keyID) {
            guard let session = sessions?.session(keyID, now: now()) else { throw Self.unrecognizedClient }
            // The token proves the credentials are whole, and must be signed like any header (boto3 does).
            guard let token = request.headers[Self.securityToken], parsed.signedHeaders.contains("x-amz-security-token"),
                  SigV4.constantTimeEquals(Array(token.utf8), Array(session.sessionToken.utf8)) else { throw Self.unrecognizedClient }
            secret = session.secretAccessKey
            makeCaller = { region in
                Caller(account: session.account, region: region, principalARN: session.principalARN, accessKeyID: keyID, identityPolicy: session.policy)
            }
        } else {
            guard let found = try lookup(keyID) else { throw Self.unrecognizedClient }
            secret = found.secret
            let policy = found.key.policy.flatMap(policies.document)
            makeCaller = { region in
                Caller(account: found.key.account, region: region, principalARN: found.key.principalARN, accessKeyID: keyID, identityPolicy: policy)
            }
        }
        let body = try await request.collectBody(upTo: bodyLimit)
        let signed = Self.signatureRequest(request, body: Array(body.readableBytesView))
        do {
            _ = try SigV4.verify(signed, authorization: parsed, now: now()) { id in id == keyID ? secret : nil }
            return makeCaller(region)
        } catch {
            switch error {
            case .missingAuthentication: throw Self.missingToken
            case .unknownKey: throw Self.unrecognizedClient
            case let .malformed(message), let .skewed(message): throw Self.invalidSignature(message)
            case .mismatch:
                throw Self.invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
            }
        }
    }

    /// The request as SigV4 sees it: the raw path and query as sent, every header, with Host first (HTTP/1's
    /// Host header arrives as the request's authority; a Host field counts only when there is none).
    static func signatureRequest(_ request: Request, body: [UInt8]) -> SigV4.Request {
        let target = request.uri.string
        let question = target.firstIndex(of: "?")
        let rawPath = String(question.map { target[..<$0] } ?? target[...])
        let rawQuery = question.map { String(target[target.index(after: $0)...]) } ?? ""
        var headers: [(name: String, value: String)] = []
        if let authority = request.head.authority { headers.append((name: "host", value: authority)) }
        for field in request.headers where !(field.name.canonicalName == "host" && request.head.authority != nil) {
            headers.append((name: field.name.canonicalName, value: field.value))
        }
        return SigV4.Request(method: request.method.rawValue, rawPath: rawPath.isEmpty ? "/" : rawPath, rawQuery: rawQuery,
                             headers: headers, body: body)
    }

    static let securityToken = HTTPField.Name("X-Amz-Security-Token")!
    static let missingToken = LambdaError(status: 403, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token")
    static let unrecognizedClient = LambdaError(status: 403, type: "UnrecognizedClientException",
                                                message: "The security token included in the request is invalid.")
    static func invalidSignature(_ message: String) -> LambdaError {
        LambdaError(status: 403, type: "InvalidSignatureException", message: message)
    }
}

/// Identity policies parsed once per text (a key's policy is read on every request it signs).
final class PolicyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var documents: [String: PolicyDocument] = [:]

    /// The document `text` holds; nil if it does not parse (it was checked when the key was made, so a
    /// user key whose stored policy became unreadable may do nothing).
    func document(_ text: String) -> PolicyDocument? {
        if let cached = lock.withLock({ documents[text] }) { return cached }
        guard let parsed = try? PolicyDocument.parse(text, kind: .identity) else { return nil }
        lock.withLock {
            if documents.count >= 1024 { documents.removeAll() }
            documents[text] = parsed
        }
        return parsed
    }
}
