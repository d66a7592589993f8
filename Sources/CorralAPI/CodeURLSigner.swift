import CorralSystem
import Crypto
import Foundation

/// GetFunction's Code.Location, as AWS answers it with a presigned S3 URL: a link to the package that
/// works for 10 minutes, names the account that owns it, and is bound to the key that asked for it (it
/// stops working when that key is revoked). Nothing else serves packages: the digest alone (which
/// GetFunctionConfiguration shows as CodeSha256) opens nothing, and no tenant learns from the URL whether
/// another account stored the same package.
///
/// `/corral/code/ACCOUNT/DIGEST.zip?X-Corral-Credential=KEY&X-Corral-Expires=UNIX&X-Corral-Signature=HEX`,
/// the signature an HMAC-SHA256 of account, digest, expiry and key under a key of the server's own
/// (DATA/code-url.key, 32 random bytes, 0600, made on the first start).
public struct CodeURLSigner: Sendable {
    /// How long a location works: AWS's presigned code URLs last 10 minutes.
    public static let lifetime: TimeInterval = 600
    /// The HMAC key's bytes (SymmetricKey itself is not Sendable).
    private let key: [UInt8]

    public init(key: [UInt8]) {
        self.key = key
    }

    /// A signer with a random key of its own (locations it makes die with the process).
    public static func random() -> CodeURLSigner {
        CodeURLSigner(key: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// Reads the server's signing key from `path`, or makes one there (0600) on the first start.
    public init(keyFile path: String) throws {
        if let bytes = FileManager.default.contents(atPath: path), bytes.count == 32 {
            key = Array(bytes)
            return
        }
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let data = Data(fresh)
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        try syscall("rename \(temporary)") { rename(temporary, path) }
        key = fresh
    }

    /// The location of `digest`'s package for `account`, made for the key `credential`.
    public func location(base: String, account: String, digest: String, credential: String, now: Date = Date()) -> String {
        let expires = Int(now.timeIntervalSince1970 + Self.lifetime)
        let signature = sign(account: account, digest: digest, expires: expires, credential: credential)
        let query = "X-Corral-Credential=\(Self.escaped(credential))&X-Corral-Expires=\(expires)&X-Corral-Signature=\(signature)"
        return "\(base)/corral/code/\(account)/\(digest).zip?\(query)"
    }

    /// Why a download was refused (the text of S3's AccessDenied answer).
    public enum Refusal: Error, Equatable {
        case missingParameters
        case badSignature
        case expired

        public var message: String {
            switch self {
            case .missingParameters: "Query-string authentication requires the X-Corral-Credential, X-Corral-Expires and X-Corral-Signature parameters"
            case .badSignature: "The request signature we calculated does not match the signature you provided"
            case .expired: "Request has expired"
            }
        }
    }

    /// Checks a download's parameters; returns the key it was made for (the caller checks it is still active).
    public func verify(account: String, digest: String, credential: String?, expires: String?, signature: String?, now: Date = Date()) throws(Refusal) -> String {
        guard let credential, let expires, let signature, let expiry = Int(expires) else { throw .missingParameters }
        let expected = sign(account: account, digest: digest, expires: expiry, credential: credential)
        // Constant time: the comparison says nothing about how much of a forged signature was right.
        guard expected.utf8.count == signature.utf8.count,
              zip(expected.utf8, signature.utf8).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else { throw .badSignature }
        guard Double(expiry) >= now.timeIntervalSince1970 else { throw .expired }
        return credential
    }

    private func sign(account: String, digest: String, expires: Int, credential: String) -> String {
        let text = "corral-code\n\(account)\n\(digest)\n\(expires)\n\(credential)"
        return HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }.joined()
    }

    private static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}
