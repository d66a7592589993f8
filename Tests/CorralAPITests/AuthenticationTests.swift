import CorralAPI
import CorralAuth
import CorralCode
import CorralStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The API behind the real Authenticator: requests signed with SigV4 by tenants' keys, and every way a
/// request is refused, in AWS's error shapes. Tenants see only their own functions.
@Suite struct AuthenticationTests {
    final class Fixture: @unchecked Sendable {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-auth-\(UUID().uuidString)").path
        let tenants: TenantStore
        let service: LambdaService
        var now = Date()
        let alice: SigV4.Credentials, bob: SigV4.Credentials
        let aliceKey: AccessKey

        init() throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let database = try StoreDatabase(path: directory + "/corral.sqlite")
            tenants = TenantStore(database: database)
            service = LambdaService(functions: FunctionStore(database: database), code: CodeStore(root: directory + "/code"),
                                    publicURL: "http://127.0.0.1:9000", availableRuntimes: { ["python3.11"] })
            let a = try tenants.createTenant(name: "alice", account: "111111111111")
            let b = try tenants.createTenant(name: "bob")
            alice = SigV4.Credentials(accessKeyID: AccessKeyGenerator.keyID(), secretAccessKey: AccessKeyGenerator.secret())
            bob = SigV4.Credentials(accessKeyID: AccessKeyGenerator.keyID(), secretAccessKey: AccessKeyGenerator.secret())
            aliceKey = try tenants.createKey(account: a.account, id: alice.accessKeyID, secret: alice.secretAccessKey)
            _ = try tenants.createKey(account: b.account, id: bob.accessKeyID, secret: bob.secretAccessKey)
        }

        deinit {
            if let all = FileManager.default.enumerator(atPath: directory) {
                while let name = all.nextObject() as? String { chmod(directory + "/" + name, 0o755) }
            }
            try? FileManager.default.removeItem(atPath: directory)
        }

        var auditPath: String { directory + "/audit.log" }

        func application(clock: @escaping @Sendable () -> Date = { Date() }) -> some ApplicationProtocol {
            let router = Router()
            let tenants = self.tenants
            let authenticator = Authenticator(now: clock) { id in try tenants.activeKey(id) }
            LambdaRoutes(service: service, authorizer: Authorizer(audit: AuditLog(path: auditPath))) { request in try await authenticator.authenticate(&request) }
                .register(on: router, logger: Logger(label: "test"))
            return Application(router: router)
        }
    }

    /// Headers (Host, Content-Type when there is a body, X-Amz-Date, Authorization) signing a request as
    /// boto3 would; `tamper` changes the body after signing.
    static func signed(_ method: HTTPRequest.Method, _ path: String, body: [UInt8] = [], as credentials: SigV4.Credentials,
                       region: String = "us-east-1", at date: Date = Date(), extra: [(String, String)] = []) -> HTTPFields {
        let question = path.firstIndex(of: "?")
        // Hummingbird's router tests give every request the authority "localhost": what a client's Host says.
        var headers: [(name: String, value: String)] = []
        if !body.isEmpty { headers.append((name: "content-type", value: "application/json")) }
        headers += extra.map { (name: $0.0, value: $0.1) }
        let request = SigV4.Request(method: method.rawValue, rawPath: String(question.map { path[..<$0] } ?? path[...]),
                                    rawQuery: question.map { String(path[path.index(after: $0)...]) } ?? "",
                                    headers: [(name: "host", value: "localhost")] + headers, body: body)
        var fields = HTTPFields()
        for (name, value) in headers + SigV4.sign(request, credentials: credentials, region: region, now: date) {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        return fields
    }

    static func createBody(_ name: String) throws -> [UInt8] {
        Array(APIFixture.createBody(name: name, zip: try APIFixture.zip(["app.py": "def handler(e, c):\n    return 1\n"])).readableBytesView)
    }

    @Test("a signed request acts as the key's tenant, in the server's region; another tenant never sees the function")
    func signedRequestsActAsTheirTenant() async throws {
        let fixture = try Fixture()
        try await fixture.application().test(.router) { client in
            let body = try Self.createBody("mine")
            try await client.execute(uri: "/2015-03-31/functions", method: .post, headers: Self.signed(.post, "/2015-03-31/functions", body: body, as: fixture.alice),
                                     body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                #expect(response.json["FunctionArn"] as? String == "arn:aws:lambda:us-east-1:111111111111:function:mine")
            }
            try await client.execute(uri: "/2015-03-31/functions", method: .get, headers: Self.signed(.get, "/2015-03-31/functions", as: fixture.alice)) { response in
                #expect((response.json["Functions"] as? [[String: Any]])?.count == 1)
            }
            // Bob's key: the function does not exist for him (404, not 403), and his list is empty.
            try await client.execute(uri: "/2015-03-31/functions/mine", method: .get, headers: Self.signed(.get, "/2015-03-31/functions/mine", as: fixture.bob)) { response in
                #expect(response.status == .notFound && response.errorType == "ResourceNotFoundException")
            }
            let arnPath = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Amine"
            try await client.execute(uri: arnPath, method: .get, headers: Self.signed(.get, arnPath, as: fixture.bob)) { response in
                #expect(response.status == .notFound, "another account's ARN is not a way in")
            }
            try await client.execute(uri: "/2015-03-31/functions", method: .get, headers: Self.signed(.get, "/2015-03-31/functions", as: fixture.bob)) { response in
                #expect((response.json["Functions"] as? [[String: Any]])?.isEmpty == true)
            }
        }
    }

    /// Scopes a key could sign with to bend the ARNs it is judged by: another region (a Deny on us-east-1
    /// ARNs dodged), a region carrying ARN text, another service. Each gets AWS's 403 before anything
    /// runs, and the audit log never sees the forged text.
    static let forgedScopes: [(region: String, service: String, message: String)] = [
        ("eu-west-1", "lambda", "Credential should be scoped to a valid region, not 'eu-west-1'."),
        ("us-east-1:111111111111:function:public-x", "lambda", "Credential should be scoped to a valid region, not 'us-east-1:111111111111:function:public-x'."),
        ("US-EAST-1", "lambda", "Credential should be scoped to a valid region, not 'US-EAST-1'."),
        ("us-east-1", "s3", "Credential should be scoped to correct service: 'lambda'."),
        ("us-east-1", "execute-api", "Credential should be scoped to correct service: 'lambda'."),
    ]

    @Test("a credential scope for another region or service is refused in AWS's shape; the ARNs judged and audited are the server's")
    func forgedScopesAreRefused() async throws {
        let fixture = try Fixture()
        let policy = #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:public-*"}]}"#
        let user = SigV4.Credentials(accessKeyID: AccessKeyGenerator.keyID(), secretAccessKey: AccessKeyGenerator.secret())
        _ = try fixture.tenants.createKey(account: "111111111111", user: "public", policy: policy, id: user.accessKeyID, secret: user.secretAccessKey)
        try await fixture.application().test(.router) { client in
            for name in ["public-a", "secret"] {
                let body = try Self.createBody(name)
                try await client.execute(uri: "/2015-03-31/functions", method: .post, headers: Self.signed(.post, "/2015-03-31/functions", body: body, as: fixture.alice),
                                         body: ByteBuffer(bytes: body)) { response in #expect(response.status == .created) }
            }
            for forged in Self.forgedScopes {
                for (method, path) in [(HTTPRequest.Method.get, "/2015-03-31/functions/secret"), (.delete, "/2015-03-31/functions/secret"), (.get, "/2015-03-31/functions/public-a")] {
                    var headers = Self.signed(method, path, as: user, region: forged.region)
                    if forged.service != "lambda", let authorization = headers[.authorization] {
                        headers[.authorization] = authorization.replacingOccurrences(of: "/lambda/aws4_request", with: "/\(forged.service)/aws4_request")
                    }
                    try await client.execute(uri: path, method: method, headers: headers) { response in
                        #expect(response.status == .forbidden && response.errorType == "InvalidSignatureException", "\(forged) \(method) \(path): \(response.json)")
                        #expect(response.json["message"] as? String == forged.message, "\(response.json)")
                    }
                }
            }
            // Oracle: the same key signed for the server's scope reaches public-a, is denied secret, and
            // secret is still there (no forged delete went through).
            try await client.execute(uri: "/2015-03-31/functions/public-a", method: .get, headers: Self.signed(.get, "/2015-03-31/functions/public-a", as: user)) { response in
                #expect(response.status == .ok)
                #expect((response.json["Configuration"] as? [String: Any])?["FunctionArn"] as? String == "arn:aws:lambda:us-east-1:111111111111:function:public-a")
            }
            try await client.execute(uri: "/2015-03-31/functions/secret", method: .get, headers: Self.signed(.get, "/2015-03-31/functions/secret", as: user)) { response in
                #expect(response.status == .forbidden && response.errorType == "AccessDeniedException")
            }
            try await client.execute(uri: "/2015-03-31/functions/secret", method: .get, headers: Self.signed(.get, "/2015-03-31/functions/secret", as: fixture.alice)) { response in
                #expect(response.status == .ok)
            }
        }
        let audit = (try? String(contentsOfFile: fixture.auditPath, encoding: .utf8)) ?? ""
        #expect(!audit.contains("eu-west-1") && !audit.contains("public-x") && !audit.contains("US-EAST-1"), "the audit log saw a forged scope")
        #expect(audit.contains("arn:aws:lambda:us-east-1:111111111111:function:secret"), "the oracle's decisions are audited with the server's ARN")
    }

    @Test("no signature, an unknown or revoked key, a wrong secret, a changed body or hash, a stale date: 403 in AWS's shapes")
    func refusals() async throws {
        let fixture = try Fixture()
        try await fixture.application().test(.router) { client in
            let path = "/2015-03-31/functions"
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .forbidden && response.errorType == "MissingAuthenticationTokenException")
                #expect(response.json["message"] as? String == "Missing Authentication Token")
            }
            var garbled = HTTPFields()
            garbled[.authorization] = "AWS4-HMAC-SHA256 Credential=only"
            try await client.execute(uri: path, method: .get, headers: garbled) { response in
                #expect(response.status == .forbidden && response.errorType == "InvalidSignatureException", "\(response.json)")
            }
            let stranger = SigV4.Credentials(accessKeyID: AccessKeyGenerator.keyID(), secretAccessKey: fixture.alice.secretAccessKey)
            try await client.execute(uri: path, method: .get, headers: Self.signed(.get, path, as: stranger)) { response in
                #expect(response.status == .forbidden && response.errorType == "UnrecognizedClientException")
                #expect(response.json["message"] as? String == "The security token included in the request is invalid.")
            }
            let wrongSecret = SigV4.Credentials(accessKeyID: fixture.alice.accessKeyID, secretAccessKey: fixture.bob.secretAccessKey)
            try await client.execute(uri: path, method: .get, headers: Self.signed(.get, path, as: wrongSecret)) { response in
                #expect(response.status == .forbidden && response.errorType == "InvalidSignatureException")
                #expect((response.json["message"] as? String)?.hasPrefix("The request signature we calculated does not match") == true)
            }
            // The body is signed: another body under the same headers is refused, as is a false payload hash.
            let body = try Self.createBody("f")
            try await client.execute(uri: path, method: .post, headers: Self.signed(.post, path, body: body, as: fixture.alice),
                                     body: ByteBuffer(bytes: try Self.createBody("g"))) { response in
                #expect(response.status == .forbidden && response.errorType == "InvalidSignatureException")
            }
            let falseHash = [("x-amz-content-sha256", String(repeating: "0", count: 64))]
            try await client.execute(uri: path, method: .post, headers: Self.signed(.post, path, body: body, as: fixture.alice, extra: falseHash),
                                     body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .forbidden && response.errorType == "InvalidSignatureException")
            }
            // The query is signed too.
            var query = Self.signed(.get, path + "?MaxItems=1", as: fixture.alice)
            try await client.execute(uri: path + "?MaxItems=2", method: .get, headers: query) { response in
                #expect(response.status == .forbidden && response.errorType == "InvalidSignatureException")
            }
            query = Self.signed(.get, path, as: fixture.alice, at: Date().addingTimeInterval(-16 * 60))
            try await client.execute(uri: path, method: .get, headers: query) { response in
                #expect(response.status == .forbidden && response.errorType == "InvalidSignatureException")
                #expect((response.json["message"] as? String)?.hasPrefix("Signature expired") == true, "\(response.json)")
            }
            // Oracle for all of the above: the same key, signed properly, is let in; then revoked, it is not.
            try await client.execute(uri: path, method: .get, headers: Self.signed(.get, path, as: fixture.alice)) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            _ = try fixture.tenants.revokeKey(fixture.alice.accessKeyID)
            try await client.execute(uri: path, method: .get, headers: Self.signed(.get, path, as: fixture.alice)) { response in
                #expect(response.status == .forbidden && response.errorType == "UnrecognizedClientException")
            }
        }
    }

    @Test("a user key may do what its identity policy allows and nothing else; an explicit deny wins; every decision is audited")
    func identityPolicies() async throws {
        let fixture = try Fixture()
        let policy = """
            {"Version": "2012-10-17", "Statement": [
              {"Sid": "ReadA", "Effect": "Allow", "Action": ["lambda:Get*"], "Resource": "arn:aws:lambda:*:111111111111:function:a*"},
              {"Sid": "NoConfig", "Effect": "Deny", "Action": "lambda:GetFunctionConfiguration", "Resource": "*"}]}
            """
        let ci = SigV4.Credentials(accessKeyID: AccessKeyGenerator.keyID(), secretAccessKey: AccessKeyGenerator.secret())
        _ = try fixture.tenants.createKey(account: "111111111111", user: "ci", policy: policy, id: ci.accessKeyID, secret: ci.secretAccessKey)
        let bare = SigV4.Credentials(accessKeyID: AccessKeyGenerator.keyID(), secretAccessKey: AccessKeyGenerator.secret())
        _ = try fixture.tenants.createKey(account: "111111111111", user: "nobody", id: bare.accessKeyID, secret: bare.secretAccessKey)
        try await fixture.application().test(.router) { client in
            for name in ["a", "b"] {
                let body = try Self.createBody(name)
                try await client.execute(uri: "/2015-03-31/functions", method: .post, headers: Self.signed(.post, "/2015-03-31/functions", body: body, as: fixture.alice),
                                         body: ByteBuffer(bytes: body)) { response in #expect(response.status == .created) }
            }
            func status(_ method: HTTPRequest.Method, _ path: String, as key: SigV4.Credentials) async throws -> (HTTPResponse.Status, String?, String) {
                try await client.execute(uri: path, method: method, headers: Self.signed(method, path, as: key)) { response in
                    (response.status, response.errorType, (response.json["message"] as? String) ?? "")
                }
            }
            // Allowed by ReadA, on a and its qualifiers; not on b; not ListFunctions; GetFunctionConfiguration explicitly denied.
            #expect(try await status(.get, "/2015-03-31/functions/a", as: ci).0 == .ok)
            #expect(try await status(.get, "/2015-03-31/functions/a?Qualifier=%24LATEST", as: ci).0 == .ok)
            let onB = try await status(.get, "/2015-03-31/functions/b", as: ci)
            #expect(onB.0 == .forbidden && onB.1 == "AccessDeniedException")
            #expect(onB.2 == "User: arn:aws:iam::111111111111:user/ci is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:b because no identity-based policy allows the lambda:GetFunction action")
            #expect(try await status(.get, "/2015-03-31/functions", as: ci).1 == "AccessDeniedException")
            let denied = try await status(.get, "/2015-03-31/functions/a/configuration", as: ci)
            #expect(denied.1 == "AccessDeniedException" && denied.2.hasSuffix("with an explicit deny in an identity-based policy"), "\(denied)")
            #expect(try await status(.delete, "/2015-03-31/functions/a", as: ci).1 == "AccessDeniedException")
            // A user key without a policy may do nothing; the tenant's root key may do everything (the oracle).
            #expect(try await status(.get, "/2015-03-31/functions/a", as: bare).1 == "AccessDeniedException")
            #expect(try await status(.get, "/2015-03-31/functions/a/configuration", as: fixture.alice).0 == .ok)
        }
        let audit = try String(contentsOfFile: fixture.auditPath, encoding: .utf8).split(separator: "\n")
        #expect(audit.contains { $0.contains("\"decision\":\"ExplicitDeny\"") && $0.contains("(Sid NoConfig)") && $0.contains("user/ci") })
        #expect(audit.contains { $0.contains("\"decision\":\"Allow\"") && $0.contains("(Sid ReadA)") })
        #expect(audit.contains { $0.contains("\"decision\":\"ImplicitDeny\"") && $0.contains("user/nobody") })
        #expect(audit.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "every line is JSON")
        var info = stat()
        #expect(stat(fixture.auditPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test("keys: principal ARNs, listing per account, revocation is kept and marked; bad names and duplicates refused")
    func tenantStore() throws {
        let fixture = try Fixture()
        #expect(fixture.aliceKey.principalARN == "arn:aws:iam::111111111111:root")
        let bob = try fixture.tenants.tenant("bob")
        #expect(Tenant.isValidAccount(bob.account) && bob.account != "111111111111")
        let keys = try fixture.tenants.keys(account: bob.account)
        #expect(keys.count == 1 && keys[0].principalARN == "arn:aws:iam::\(bob.account):root")
        let named = try fixture.tenants.createKey(account: bob.account, user: "ci", id: AccessKeyGenerator.keyID(), secret: "s")
        #expect(named.principalARN == "arn:aws:iam::\(bob.account):user/ci")
        #expect(try fixture.tenants.keys().count == 3)
        let revoked = try fixture.tenants.revokeKey(fixture.bob.accessKeyID)
        #expect(revoked.revoked != nil)
        #expect(try fixture.tenants.activeKey(fixture.bob.accessKeyID) == nil)
        #expect(try fixture.tenants.activeKey(fixture.alice.accessKeyID)?.secret == fixture.alice.secretAccessKey)
        #expect(throws: StoreError.self) { try fixture.tenants.createTenant(name: "alice") }
        #expect(throws: StoreError.self) { try fixture.tenants.createTenant(name: "-bad") }
        #expect(throws: StoreError.self) { try fixture.tenants.createTenant(name: "carol", account: "123") }
        #expect(throws: StoreError.self) { try fixture.tenants.revokeKey("AKIANOSUCHKEY") }
        // The database holds secrets: only its owner may read it.
        for suffix in ["", "-wal", "-shm"] {
            var info = stat()
            #expect(stat(fixture.directory + "/corral.sqlite" + suffix, &info) == 0 && info.st_mode & 0o777 == 0o600, "corral.sqlite\(suffix)")
        }
    }
}
