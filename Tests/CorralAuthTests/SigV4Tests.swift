@testable import CorralAuth
import Foundation
import Testing

/// The test vectors of lambda-interfaces.md (botocore's output), and the checks around them.
@Suite struct SigV4Tests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let amzDate = "20240102T030405Z"
    static let signedAt = SigV4.parseAmzDate(amzDate)!

    static func authorization(_ signedHeaders: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/lambda/aws4_request, SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    static let getConfiguration = SigV4.Request(
        method: "GET",
        rawPath: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/configuration",
        rawQuery: "Qualifier=%24LATEST",
        headers: [("Host", "localhost:9000"), ("X-Amz-Date", amzDate),
                  ("Authorization", authorization("host;x-amz-date", "4c600e5ef1ab3e7e88a8d445d95a753340972d212675459d0589b7e3f5d54033"))])

    static let invoke = SigV4.Request(
        method: "POST", rawPath: "/2015-03-31/functions/my-fn/invocations",
        headers: [("Host", "localhost:9000"), ("X-Amz-Date", amzDate), ("X-Amz-Log-Type", "Tail"), ("User-Agent", "Boto3/1.43"),
                  ("Authorization", authorization("host;x-amz-date;x-amz-log-type", "5bba8170329d281f6273275f759fd3b4021e8b1e02532f47554a5687d69b97b2"))],
        body: Array(#"{"a":1}"#.utf8))

    func secret(_ key: String) -> String? { key == "AKIDEXAMPLE" ? Self.secret : nil }

    @Test("the signing key of the vectors")
    func signingKey() {
        #expect(SigV4.hex(SigV4.signingKey(secret: Self.secret, date: "20240102", region: "us-east-1"))
            == "615f3aade00281ca62a37ede574223e085ef4c3ab48adcf76a993337ead7e4ad")
    }

    @Test("vector (a): a GET with an ARN double-encoded in the path and a sorted, re-encoded query")
    func vectorA() throws {
        let canonical = SigV4.canonicalRequest(Self.getConfiguration, signedHeaders: ["host", "x-amz-date"])
        #expect(canonical.split(separator: "\n")[1]
            == "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Amy-fn/configuration")
        #expect(canonical.split(separator: "\n")[2] == "Qualifier=%24LATEST")
        let signer = try SigV4.verify(Self.getConfiguration, now: Self.signedAt, secret: secret)
        #expect(signer == SigV4.Signer(accessKeyID: "AKIDEXAMPLE", region: "us-east-1", date: "20240102"))
    }

    @Test("vector (b): a POST whose payload hash is computed here; unsigned headers are ignored")
    func vectorB() throws {
        #expect(SigV4.canonicalRequest(Self.invoke, signedHeaders: ["host"]).hasSuffix("015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"))
        _ = try SigV4.verify(Self.invoke, now: Self.signedAt.addingTimeInterval(60), secret: secret)
    }

    @Test("a changed body, path, query or signed header fails; an unknown key, a missing header, a wrong service too")
    func refusals() {
        func failure(_ change: (inout SigV4.Request) -> Void, now: Date = SigV4Tests.signedAt) -> SigV4.Failure? {
            var request = Self.invoke
            change(&request)
            do { _ = try SigV4.verify(request, now: now, secret: secret); return nil } catch { return error }
        }
        #expect(failure { _ in } == nil) // the oracle: unchanged, it verifies
        #expect(failure { $0.body = Array(#"{"a":2}"#.utf8) } == .mismatch)
        #expect(failure { $0.rawPath = "/2015-03-31/functions/other/invocations" } == .mismatch)
        #expect(failure { $0.rawQuery = "Qualifier=1" } == .mismatch)
        #expect(failure { $0.headers[2].value = "None" } == .mismatch)
        #expect(failure { $0.headers[3].value = "curl" } == nil, "User-Agent is not signed")
        #expect(failure { $0.headers.removeAll { $0.name == "Authorization" } } == .missingAuthentication)
        #expect(failure { $0.headers[4].value = $0.headers[4].value.replacingOccurrences(of: "AKIDEXAMPLE", with: "AKIDOTHER") } == .unknownKey)
        if case .malformed? = failure({ $0.headers[4].value = $0.headers[4].value.replacingOccurrences(of: "/lambda/", with: "/s3/") }) {} else {
            Issue.record("another service's scope must be refused")
        }
        if case .malformed? = failure({ $0.headers[1].value = "20240103T030405Z" }) {} else { Issue.record("scope date must match X-Amz-Date") }
    }

    @Test("15 minutes of clock skew either way, no more")
    func skew() throws {
        _ = try SigV4.verify(Self.getConfiguration, now: Self.signedAt.addingTimeInterval(15 * 60), secret: secret)
        _ = try SigV4.verify(Self.getConfiguration, now: Self.signedAt.addingTimeInterval(-15 * 60), secret: secret)
        for offset in [15 * 60 + 1.0, -(15 * 60 + 1.0)] {
            do {
                _ = try SigV4.verify(Self.getConfiguration, now: Self.signedAt.addingTimeInterval(offset), secret: secret)
                Issue.record("accepted a signature \(offset) s off")
            } catch {
                guard case .skewed = error else { Issue.record("\(error)"); continue }
            }
        }
    }

    @Test("constant-time comparison still compares")
    func comparison() {
        #expect(SigV4.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!SigV4.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!SigV4.constantTimeEquals(Array("abc".utf8), Array("ab".utf8)))
    }

    @Test("the client signer reproduces botocore's signature of vector (b) and what it signs verifies")
    func signer() throws {
        let credentials = SigV4.Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret)
        let unsigned = SigV4.Request(method: "POST", rawPath: "/2015-03-31/functions/my-fn/invocations",
                                     headers: [("Host", "localhost:9000"), ("X-Amz-Log-Type", "Tail")], body: Array(#"{"a":1}"#.utf8))
        let added = SigV4.sign(unsigned, credentials: credentials, region: "us-east-1", now: Self.signedAt)
        #expect(added.map(\.name) == ["X-Amz-Date", "Authorization"])
        #expect(added[0].value == Self.amzDate)
        #expect(added[1].value == Self.authorization("host;x-amz-date;x-amz-log-type", "5bba8170329d281f6273275f759fd3b4021e8b1e02532f47554a5687d69b97b2"))
        var signed = unsigned
        signed.headers += added
        #expect(try SigV4.verify(signed, now: Self.signedAt, secret: secret).accessKeyID == "AKIDEXAMPLE")
        // A payload hash header must be the body's (or UNSIGNED-PAYLOAD): the signature covers the claim.
        var claimed = unsigned
        claimed.headers.append(("X-Amz-Content-SHA256", String(repeating: "0", count: 64)))
        claimed.headers += SigV4.sign(claimed, credentials: credentials, region: "us-east-1", now: Self.signedAt)
        #expect(throws: SigV4.Failure.mismatch) { try SigV4.verify(claimed, now: Self.signedAt, secret: secret) }
        var unsignedPayload = unsigned
        unsignedPayload.headers.append(("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"))
        unsignedPayload.headers += SigV4.sign(unsignedPayload, credentials: credentials, region: "us-east-1", now: Self.signedAt)
        #expect(try SigV4.verify(unsignedPayload, now: Self.signedAt, secret: secret).accessKeyID == "AKIDEXAMPLE")
    }

    @Test("generated keys have AWS's shapes and do not repeat")
    func generatedKeys() {
        let ids = (0..<200).map { _ in AccessKeyGenerator.keyID() }
        #expect(Set(ids).count == 200)
        #expect(ids.allSatisfy { $0.count == 20 && $0.hasPrefix("AKIA") && $0.allSatisfy { $0.isUppercase || ("2"..."7").contains($0) } })
        let secrets = (0..<200).map { _ in AccessKeyGenerator.secret() }
        #expect(Set(secrets).count == 200 && secrets.allSatisfy { $0.count == 40 })
    }

    @Test("X-Amz-Date is read and written by hand: round trip, and impossible dates or shapes refused")
    func amzDates() {
        #expect(SigV4.format(Self.signedAt) == Self.amzDate)
        #expect(SigV4.parseAmzDate("20240229T235959Z") == Date(timeIntervalSince1970: 1_709_251_199))
        for bad in ["20240230T000000Z", "20241301T000000Z", "2024010T030405Z", "20240102 030405Z", "20240102T030405", "2024O102T030405Z", "20240102T250000Z"] {
            #expect(SigV4.parseAmzDate(bad) == nil, "\(bad)")
        }
    }
}
