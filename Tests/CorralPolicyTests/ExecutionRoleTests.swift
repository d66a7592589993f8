import Testing
@testable import CorralPolicy

@Suite struct ExecutionRoleTests {
    private func role(_ statements: String) throws -> ExecutionRole {
        ExecutionRole(account: Fixtures.account, name: "worker",
                      document: try Fixtures.identity(#"{"Version":"2012-10-17","Statement":[\#(statements)]}"#))
    }

    private func refusal(_ role: ExecutionRole, roots: [String] = ["/srv/a"], secrets: [String] = []) -> String? {
        do {
            _ = try role.compile(fsRoots: roots, secretNames: secrets)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("fs:Write binds read-write, fs:Read read-only, a final /* names the directory, nested grants come parent first")
    func pathGrants() throws {
        let worker = try role("""
            {"Effect":"Allow","Action":"fs:Read","Resource":["arn:corral:fs:::/srv/a/in/*","arn:corral:fs:::/srv/a/config.json"]},
            {"Effect":"Allow","Action":"fs:Write","Resource":"arn:corral:fs:::/srv/a/in/out"}
            """)
        let grants = try worker.compile(fsRoots: ["/srv/a"], secretNames: [])
        #expect(grants.paths == [.init(path: "/srv/a/config.json", writable: false), .init(path: "/srv/a/in", writable: false),
                                 .init(path: "/srv/a/in/out", writable: true)])
        #expect(grants.secrets.isEmpty && grants.egress.isEmpty && !grants.invokesFunctions)
    }

    @Test("fs:* on * binds every opened root read-write; fs:Read on * read-only; no fs statement binds nothing")
    func rootsAsCandidates() throws {
        let everything = try role(#"{"Effect":"Allow","Action":"fs:*","Resource":"*"}"#)
        #expect(try everything.compile(fsRoots: ["/srv/a", "/srv/b"], secretNames: []).paths ==
            [.init(path: "/srv/a", writable: true), .init(path: "/srv/b", writable: true)])
        let reader = try role(#"{"Effect":"Allow","Action":"FS:READ","Resource":"arn:corral:fs:::/srv/*"}"#)
        #expect(try reader.compile(fsRoots: ["/srv/a"], secretNames: []).paths == [.init(path: "/srv/a", writable: false)])
        let invoker = try role(#"{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}"#)
        #expect(try invoker.compile(fsRoots: ["/srv/a"], secretNames: []).paths.isEmpty)
    }

    @Test("a Deny removes a path, or its write access; a Deny inside a bound path is refused")
    func denials() throws {
        let readOnly = try role("""
            {"Effect":"Allow","Action":"fs:*","Resource":"arn:corral:fs:::/srv/a/data"},
            {"Effect":"Deny","Action":"fs:Write","Resource":"arn:corral:fs:::/srv/*"}
            """)
        #expect(try readOnly.compile(fsRoots: ["/srv/a"], secretNames: []).paths == [.init(path: "/srv/a/data", writable: false)])
        let hole = try role("""
            {"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/*"},
            {"Effect":"Deny","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/private"}
            """)
        #expect(refusal(hole)?.contains("the Deny of arn:corral:fs:::/srv/a/private lies inside the granted /srv/a (read-only)") == true)
        // A write Deny inside a read-only bind takes nothing away: accepted.
        let harmless = try role("""
            {"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/*"},
            {"Effect":"Deny","Action":"fs:Write","Resource":"arn:corral:fs:::/srv/a/private"}
            """)
        #expect(refusal(harmless) == nil)
    }

    @Test("paths outside the opened roots, wildcards inside a path, relative, unnormalized and reserved paths are refused")
    func refusals() throws {
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/b/x"}"#))?
            .contains("/srv/b/x is not under a host root the operator opened to this tenant") == true)
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/x"}"#), roots: [])?
            .contains("none are opened to account 111122223333") == true)
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/*/logs"}"#))?
            .contains("cannot become a bind") == true)
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::srv/a"}"#))?
            .contains("absolute host path") == true)
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/../../etc"}"#))?
            .contains("not a normalized path") == true)
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/"}"#))?
            .contains("not a normalized path") == true)
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/etc/shadow"}"#), roots: ["/etc"])?
            .contains("on or under /etc") == true)
        // The oracle: the same statement under the root compiles.
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/a/x"}"#)) == nil)
        // /srv/ab is not under /srv/a.
        #expect(refusal(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"arn:corral:fs:::/srv/ab"}"#)) != nil)
    }

    @Test("secrets:Get grants the named secrets that exist, with wildcards and Deny")
    func secrets() throws {
        let worker = try role("""
            {"Effect":"Allow","Action":"secrets:Get","Resource":"arn:corral:secrets:::db-*"},
            {"Effect":"Deny","Action":"secrets:Get","Resource":"arn:corral:secrets:::db-admin"}
            """)
        let grants = try worker.compile(fsRoots: [], secretNames: ["db-password", "api-token", "db-admin", "db-user"])
        #expect(grants.secrets == ["db-password", "db-user"])
    }

    @Test("net:Connect is decided per destination by the engine: patterns, ports, Deny, IPv6 in brackets")
    func egress() throws {
        let worker = try role("""
            {"Effect":"Allow","Action":"net:Connect","Resource":["arn:corral:net:::api.example.com:443","arn:corral:net:::127.0.0.*:*","arn:corral:net:::[::1]:8080"]},
            {"Effect":"Deny","Action":"net:Connect","Resource":"arn:corral:net:::127.0.0.9:*"}
            """)
        #expect(worker.allowsConnect(host: "api.example.com", port: 443))
        #expect(worker.allowsConnect(host: "API.Example.com", port: 443))
        #expect(!worker.allowsConnect(host: "api.example.com", port: 80))
        #expect(!worker.allowsConnect(host: "evil.example.com", port: 443))
        #expect(worker.allowsConnect(host: "127.0.0.2", port: 5000))
        #expect(!worker.allowsConnect(host: "127.0.0.9", port: 5000))
        #expect(!worker.allowsConnect(host: "127.0.1.2", port: 5000))
        #expect(worker.allowsConnect(host: "::1", port: 8080))
        #expect(!worker.allowsConnect(host: "::1", port: 8081))
        #expect(try worker.compile(fsRoots: [], secretNames: []).egress ==
            ["arn:corral:net:::api.example.com:443", "arn:corral:net:::127.0.0.*:*", "arn:corral:net:::[::1]:8080"])
        #expect(!(try role(#"{"Effect":"Allow","Action":"fs:Read","Resource":"*"}"#)).allowsConnect(host: "127.0.0.1", port: 80))
    }

    @Test("lambda:InvokeFunction gives credentials; each invocation is then decided on its function ARN")
    func invoke() throws {
        let worker = try role(#"{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:*:111122223333:function:helper*"}"#)
        #expect(try worker.compile(fsRoots: [], secretNames: []).invokesFunctions)
        #expect(worker.evaluate("lambda:InvokeFunction", on: "arn:aws:lambda:us-east-1:111122223333:function:helper-a").isAllowed)
        #expect(!worker.evaluate("lambda:InvokeFunction", on: "arn:aws:lambda:us-east-1:111122223333:function:other").isAllowed)
        #expect(!worker.evaluate("lambda:GetFunction", on: "arn:aws:lambda:us-east-1:111122223333:function:helper-a").isAllowed)
        // Another account's function needs that account's resource policy too.
        let anyAccount = try role(#"{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}"#)
        #expect(anyAccount.evaluate("lambda:InvokeFunction", on: "arn:aws:lambda:us-east-1:444455556666:function:f").effect == .implicitDeny)
        #expect(!(try role(#"{"Effect":"Allow","Action":"lambda:Get*","Resource":"*"}"#)).mayInvokeFunctions)
        #expect(worker.principal(session: "env-1").arn == "arn:aws:sts::111122223333:assumed-role/worker/env-1")
    }

    @Test("a resource policy naming a role's ARN covers the role's sessions, and only that role's")
    func resourcePolicyNamesRole() throws {
        let partnerRole = ExecutionRole(account: Fixtures.otherAccount, name: "etl",
                                        document: try Fixtures.identity(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}]}"#))
        let grant = NamedPolicy.resource("function my-fn resource policy", try Fixtures.resource(
            #"{"Version":"2012-10-17","Statement":[{"Sid":"etl","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/etl"},"Action":"lambda:InvokeFunction","Resource":"\#(Fixtures.function)"}]}"#))
        func decision(_ principal: RequestPrincipal) -> Decision.Effect {
            let request = AuthorizationRequest(principal: principal, action: "lambda:InvokeFunction", resource: Fixtures.function,
                                               resourceAccount: Fixtures.account, context: ConditionContext())
            return PolicyEvaluator.evaluate(request, identityPolicies: [partnerRole.policy], resourcePolicy: grant).effect
        }
        #expect(decision(partnerRole.principal(session: "env-1")) == .allow)
        #expect(decision(.iam(arn: "arn:aws:sts::444455556666:assumed-role/other/env-1", account: Fixtures.otherAccount)) == .implicitDeny)
        #expect(decision(.iam(arn: "arn:aws:sts::444455556666:assumed-role/etl-admin/env-1", account: Fixtures.otherAccount)) == .implicitDeny)
        #expect(decision(Fixtures.partner) == .implicitDeny)
    }
}
