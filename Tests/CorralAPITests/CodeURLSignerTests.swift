import CorralAPI
import Foundation
import Testing

/// GetFunction's Code.Location: signed, expiring after AWS's 10 minutes, bound to account, package and key.
@Suite struct CodeURLSignerTests {
    let digest = String(repeating: "ab", count: 32)

    private func parameters(_ location: String) -> [String: String] {
        let query = location.split(separator: "?", maxSplits: 1).last.map(String.init) ?? ""
        return Dictionary(uniqueKeysWithValues: query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
    }

    @Test func aLocationVerifiesUntilItExpiresAndOnlyForWhatItNames() throws {
        let signer = CodeURLSigner.random()
        let made = Date(timeIntervalSince1970: 1_800_000_000)
        let location = signer.location(base: "http://127.0.0.1:9000", account: "111122223333", digest: digest, credential: "AKIAEXAMPLE", now: made)
        #expect(location.hasPrefix("http://127.0.0.1:9000/corral/code/111122223333/\(digest).zip?"))
        let p = parameters(location)
        func verify(account: String = "111122223333", digest: String? = nil, credential: String? = nil, at seconds: TimeInterval = 60) throws(CodeURLSigner.Refusal) -> String {
            try signer.verify(account: account, digest: digest ?? self.digest, credential: credential ?? p["X-Corral-Credential"],
                              expires: p["X-Corral-Expires"], signature: p["X-Corral-Signature"], now: made.addingTimeInterval(seconds))
        }
        #expect(try verify() == "AKIAEXAMPLE", "the oracle: the location as made verifies")
        #expect(throws: CodeURLSigner.Refusal.expired) { try verify(at: CodeURLSigner.lifetime + 1) }
        #expect(throws: CodeURLSigner.Refusal.badSignature) { try verify(account: "222233334444") }
        #expect(throws: CodeURLSigner.Refusal.badSignature) { try verify(digest: String(repeating: "cd", count: 32)) }
        #expect(throws: CodeURLSigner.Refusal.badSignature) { try verify(credential: "AKIAOTHER") }
        #expect(throws: CodeURLSigner.Refusal.missingParameters) {
            try signer.verify(account: "111122223333", digest: digest, credential: nil, expires: nil, signature: nil, now: made)
        }
        // Another server's key (or a restart without the key file) makes other signatures.
        #expect(throws: CodeURLSigner.Refusal.badSignature) {
            try CodeURLSigner.random().verify(account: "111122223333", digest: digest, credential: p["X-Corral-Credential"],
                                              expires: p["X-Corral-Expires"], signature: p["X-Corral-Signature"], now: made)
        }
    }

    @Test func theKeyFileIsMadeOnceWithMode0600AndKeptAcrossRestarts() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("code-url-\(UUID().uuidString).key").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try CodeURLSigner(keyFile: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600 && (attributes[.size] as? Int) == 32)
        let now = Date()
        let location = first.location(base: "", account: "111122223333", digest: digest, credential: "AKIA", now: now)
        let p = parameters(location)
        let again = try CodeURLSigner(keyFile: path)
        #expect(try again.verify(account: "111122223333", digest: digest, credential: p["X-Corral-Credential"], expires: p["X-Corral-Expires"],
                                 signature: p["X-Corral-Signature"], now: now) == "AKIA")
    }
}
