import CorralAPI
import CorralAuth
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Issue 15: authorization decided in one place. Every route the API registers, enumerated from the router
/// itself (so a route added outside the operation table is caught too), refuses an unsigned request and a
/// key whose policy grants nothing; only the routes named public here are open.
@Suite struct RouteAuthorizationTests {
    /// Open on purpose: liveness, and code locations (which carry a signature of their own, CodeURLSigner).
    static let publicRoutes: Set<String> = ["GET /corral/ping", "GET /corral/code/{account}/{file}"]
    /// Signed but no action: who the caller is (GET /corral/caller, STS GetCallerIdentity's answer).
    static let identityRoutes: Set<String> = ["GET /corral/caller"]

    /// The path (as the router describes it: captures in braces) with each capture filled in, as a client
    /// would send it.
    static func concrete(_ path: String) -> String {
        path.split(separator: "/").map { part -> String in
            switch part {
            case "{name}": "mine"
            case "{alias}": "live"
            case "{sid}": "s1"
            default: String(part)
            }
        }.joined(separator: "/").replacingOccurrences(of: "//", with: "/")
    }

    @Test("every registered route refuses an unsigned request and a key allowed nothing; the account's own root key is not refused (the oracle)")
    func everyRouteIsAuthorized() async throws {
        let fixture = try AuthenticationTests.Fixture()
        let nothing = SigV4.Credentials(accessKeyID: AccessKeyGenerator.keyID(), secretAccessKey: AccessKeyGenerator.secret())
        _ = try fixture.tenants.createKey(account: "111111111111", user: "nothing", policy: """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:GetAccountSettings", "Resource": "*"}]}
            """, id: nothing.accessKeyID, secret: nothing.secretAccessKey)
        let router = Router()
        let tenants = fixture.tenants
        let authenticator = Authenticator { id in try tenants.activeKey(id) }
        let authenticate: Authenticate = { request in try await authenticator.authenticate(&request) }
        LambdaRoutes(service: fixture.service, authorizer: Authorizer(audit: AuditLog(path: fixture.auditPath)), authenticate: authenticate)
            .register(on: router, logger: Logger(label: "test"))
        CallerRoute.register(on: router, authenticate: authenticate)
        let routes = router.routes.map { (method: $0.method, path: "/" + $0.path.description.split(separator: "/").joined(separator: "/")) }
        let names = Set(routes.map { "\($0.method) \($0.path)" })
        // The table as botocore's model and Corral's own have it today: a route lost would shrink this.
        #expect(routes.count == 29, "\(names.sorted())")
        #expect(Self.publicRoutes.isSubset(of: names) && Self.identityRoutes.isSubset(of: names), "\(names.sorted())")

        try await Application(router: router).test(.router) { client in
            for route in routes where !Self.publicRoutes.contains("\(route.method) \(route.path)") {
                let label = "\(route.method) \(route.path)"
                let path = Self.concrete(route.path)
                try await client.execute(uri: path, method: route.method) { response in
                    #expect(response.status == .forbidden && response.errorType == "MissingAuthenticationTokenException", "\(label) unsigned: \(response.status)")
                }
                let identityOnly = Self.identityRoutes.contains(label)
                try await client.execute(uri: path, method: route.method, headers: AuthenticationTests.signed(route.method, path, as: nothing)) { response in
                    if identityOnly {
                        #expect(response.status == .ok, "\(label): any valid key may ask who it is")
                    } else {
                        #expect(response.status == .forbidden && response.errorType == "AccessDeniedException", "\(label) by a key allowed nothing: \(response.status)")
                    }
                }
                // The oracle: the tenant's own root key gets past authorization (whatever the operation then
                // answers for a function that does not exist), so the refusals above are the key's policy.
                try await client.execute(uri: path, method: route.method, headers: AuthenticationTests.signed(route.method, path, as: fixture.alice)) { response in
                    #expect(response.status != .forbidden, "\(label) by the root key: \(response.status) \(String(buffer: response.body))")
                }
            }
        }
    }
}
