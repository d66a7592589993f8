import Foundation
import Testing

/// `corral policy simulate` run as a user runs it: decisions, matched statements, --json, exit statuses.
@Suite struct PolicySimulateTests {
    static let function = "arn:aws:lambda:us-east-1:111122223333:function:my-fn"
    static let partner = "arn:aws:iam::444455556666:user/partner"

    static let reader = #"""
    {"Version":"2012-10-17","Statement":[
      {"Sid":"Read","Effect":"Allow","Action":"lambda:Get*","Resource":"arn:aws:lambda:*:111122223333:function:*"},
      {"Sid":"List","Effect":"Allow","Action":"lambda:List*","Resource":"*"},
      {"Effect":"Allow","Action":["lambda:GetFunction","lambda:InvokeFunction"],"Resource":"*"}]}
    """#
    static let guardrail = #"""
    {"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny","Action":"lambda:Delete*","Resource":"*"}]}
    """#
    static let allowAll = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#

    /// Runs `simulate` with the given files written first.
    private func simulate(_ files: [String: String], _ arguments: [String]) throws -> CorralBinary.Result {
        let scratch = try PolicyFiles()
        defer { scratch.remove() }
        for (name, text) in files { try scratch.write(name, text) }
        return try scratch.simulate(arguments)
    }

    private func lines(_ result: CorralBinary.Result) -> [String] {
        result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("allowed: the decision word first, then every matched statement with file, index, Sid and Effect")
    func allowed() throws {
        let result = try simulate(["reader.json": Self.reader],
                                  ["--policy", "reader.json", "--action", "lambda:GetFunction", "--resource", Self.function])
        #expect(result.status == 0, "\(result)")
        let output = lines(result)
        #expect(output.first == "allowed", "\(result)")
        #expect(output.contains("request: arn:aws:iam::111122223333:user/simulated-user (the default principal) performs lambda:GetFunction on \(Self.function) (same account)"), "\(result)")
        #expect(output.contains("* reader.json [identity] statement 0, Sid Read: Allow"), "\(result)")
        #expect(output.contains("  reader.json [identity] statement 2: Allow"), "\(result)")
        #expect(!result.stdout.contains("statement 1"), "the List statement does not match: \(result)")
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test("explicitDeny: a Deny in any policy wins over the Allows, which are still listed; the exit status is 0")
    func explicitDeny() throws {
        let result = try simulate(["all.json": Self.allowAll, "guardrail.json": Self.guardrail],
                                  ["--policy", "all.json", "--policy", "guardrail.json", "--action", "lambda:DeleteFunction", "--resource", Self.function])
        #expect(result.status == 0, "\(result)")
        let output = lines(result)
        #expect(output.first == "explicitDeny", "\(result)")
        #expect(output.contains("  all.json [identity] statement 0: Allow"), "\(result)")
        #expect(output.contains("* guardrail.json [identity] statement 0, Sid NoDeletes: Deny"), "\(result)")
        #expect(output.last?.hasSuffix("with an explicit deny in an identity-based policy") == true, "\(result)")
    }

    @Test("implicitDeny: nothing matched, and AWS's AccessDenied message says which side lacks an Allow")
    func implicitDeny() throws {
        let result = try simulate(["reader.json": Self.reader],
                                  ["--policy", "reader.json", "--action", "lambda:DeleteFunction", "--resource", Self.function])
        #expect(result.status == 0, "\(result)")
        #expect(lines(result).first == "implicitDeny", "\(result)")
        #expect(lines(result).contains("matched statements: none"), "\(result)")
        #expect(result.stdout.contains("AccessDenied: User: arn:aws:iam::111122223333:user/simulated-user is not authorized to perform: lambda:DeleteFunction on resource: \(Self.function) because no identity-based policy allows the lambda:DeleteFunction action"), "\(result)")
    }

    @Test("a repeated --context key is one multivalued key: ForAllValues and ForAnyValue see every value")
    func multivaluedContext() throws {
        let tagging = #"""
        {"Version":"2012-10-17","Statement":[
          {"Sid":"OnlyTheseTags","Effect":"Allow","Action":"lambda:TagResource","Resource":"*",
           "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost-center"]}}},
          {"Sid":"NeverSecret","Effect":"Deny","Action":"lambda:TagResource","Resource":"*",
           "Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"secret*"}}}]}
        """#
        let base = ["--policy", "tagging.json", "--action", "lambda:TagResource", "--resource", Self.function]
        func decision(_ tags: [String]) throws -> String? {
            let result = try simulate(["tagging.json": tagging], base + tags.flatMap { ["--context", "aws:TagKeys=\($0)"] })
            #expect(result.status == 0, "\(result)")
            return lines(result).first
        }
        #expect(try decision(["team", "cost-center"]) == "allowed")
        #expect(try decision(["team", "owner"]) == "implicitDeny", "ForAllValues: owner is not among the allowed keys")
        #expect(try decision(["team", "secret-x"]) == "explicitDeny", "ForAnyValue: one value matching is enough")
        #expect(try decision([]) == "allowed", "ForAllValues is true and ForAnyValue false when the key is missing")
    }

    @Test("--resource-policy: another account needs an Allow on both sides; the resource policy names the principal")
    func crossAccount() throws {
        let grant = #"""
        {"Version":"2012-10-17","Id":"default","Statement":[
          {"Sid":"partner-invoke","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"lambda:InvokeFunction",
           "Resource":"arn:aws:lambda:us-east-1:111122223333:function:my-fn"}]}
        """#
        let files = ["partner.json": Self.allowAll, "grant.json": grant]
        let request = ["--principal", Self.partner, "--action", "lambda:InvokeFunction", "--resource", Self.function]

        let identityOnly = try simulate(files, ["--policy", "partner.json"] + request)
        #expect(lines(identityOnly).first == "implicitDeny", "\(identityOnly)")
        #expect(identityOnly.stdout.contains("because no resource-based policy allows"), "\(identityOnly)")

        let resourceOnly = try simulate(files, ["--resource-policy", "grant.json"] + request)
        #expect(lines(resourceOnly).first == "implicitDeny", "\(resourceOnly)")
        #expect(resourceOnly.stdout.contains("because no identity-based policy allows"), "\(resourceOnly)")

        let both = try simulate(files, ["--policy", "partner.json", "--resource-policy", "grant.json"] + request)
        #expect(both.status == 0, "\(both)")
        #expect(lines(both) == [
            "allowed",
            "request: \(Self.partner) performs lambda:InvokeFunction on \(Self.function) (cross-account)",
            "matched statements (* decided):",
            "* partner.json [identity] statement 0: Allow",
            "* grant.json [resource] statement 0, Sid partner-invoke: Allow",
        ], "\(both)")
    }

    @Test("--json: one object whose decision field holds the word, with the request, context and statements")
    func jsonShape() throws {
        let result = try simulate(["reader.json": Self.reader, "guardrail.json": Self.guardrail],
                                  ["--policy", "reader.json", "--policy", "guardrail.json", "--action", "lambda:GetFunction",
                                   "--resource", Self.function, "--context", "aws:SourceIp=203.0.113.7", "--json"])
        #expect(result.status == 0, "\(result)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        #expect(Set(object.keys) == ["decision", "action", "resource", "resourceAccount", "principal", "sameAccount", "context",
                                     "matchedStatements", "decidingStatements", "missingAllow", "message"])
        #expect(object["decision"] as? String == "allowed")
        #expect(object["action"] as? String == "lambda:GetFunction")
        #expect(object["resource"] as? String == Self.function)
        #expect(object["resourceAccount"] as? String == "111122223333")
        #expect(object["principal"] as? String == "arn:aws:iam::111122223333:user/simulated-user")
        #expect(object["sameAccount"] as? Bool == true)
        #expect(object["missingAllow"] is NSNull)
        #expect(object["message"] is NSNull)
        let context = try #require(object["context"] as? [String: [String]])
        #expect(context["aws:SourceIp"] == ["203.0.113.7"])
        #expect(context["aws:username"] == ["simulated-user"])
        #expect(context["aws:PrincipalAccount"] == ["111122223333"])
        #expect(context["lambda:FunctionArn"] == [Self.function])
        #expect(context["aws:CurrentTime"]?.first?.hasSuffix("Z") == true)
        let matched = try #require(object["matchedStatements"] as? [[String: Any]])
        #expect(matched.map { $0["index"] as? Int } == [0, 2])
        #expect(matched.first?["policy"] as? String == "reader.json")
        #expect(matched.first?["kind"] as? String == "identity")
        #expect(matched.first?["sid"] as? String == "Read")
        #expect(matched.first?["effect"] as? String == "Allow")
        #expect(matched.map { $0["deciding"] as? Bool } == [true, false])
        #expect(matched.map { $0["undecided"] as? Bool } == [false, false])
        #expect(matched.last?["sid"] is NSNull)
        let deciding = try #require(object["decidingStatements"] as? [[String: Any]])
        #expect(deciding.count == 1)
        #expect(Set(deciding.first?.keys.map { $0 } ?? []) == ["policy", "kind", "index", "sid", "effect"])

        let denied = try simulate(["reader.json": Self.reader],
                                  ["--policy", "reader.json", "--action", "lambda:DeleteFunction", "--resource", Self.function, "--json"])
        let deniedObject = try #require(try JSONSerialization.jsonObject(with: Data(denied.stdout.utf8)) as? [String: Any], "\(denied)")
        #expect(deniedObject["decision"] as? String == "implicitDeny")
        #expect(deniedObject["missingAllow"] as? String == "identity")
        #expect((deniedObject["message"] as? String)?.hasPrefix("User: arn:aws:iam::111122223333:user/simulated-user is not authorized") == true)
        #expect((deniedObject["matchedStatements"] as? [Any])?.isEmpty == true)
    }

    @Test("a context key the command sets itself is replaced by --context")
    func contextOverride() throws {
        let timed = #"""
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*",
          "Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"StringEquals":{"aws:username":"ci"}}}]}
        """#
        let base = ["--policy", "timed.json", "--action", "lambda:GetFunction", "--resource", Self.function]
        let asCI = ["--principal", "arn:aws:iam::111122223333:user/ci"]
        #expect(lines(try simulate(["timed.json": timed], base + asCI + ["--context", "aws:CurrentTime=2029-12-31T23:59:59Z"])).first == "allowed")
        #expect(lines(try simulate(["timed.json": timed], base + asCI + ["--context", "aws:CurrentTime=2030-01-01T00:00:00Z"])).first == "implicitDeny")
        #expect(lines(try simulate(["timed.json": timed], base + ["--context", "aws:CurrentTime=2029-01-01"])).first == "implicitDeny",
                "the default user's aws:username is simulated-user")
    }

    @Test("a resource without an account is in the principal's account, else in corral serve's default account")
    func resourceAccount() throws {
        let files = ["all.json": Self.allowAll]
        func resourceAccount(_ arguments: [String]) throws -> String? {
            let result = try simulate(files, ["--policy", "all.json", "--action", "s3:GetObject", "--json"] + arguments)
            #expect(result.status == 0, "\(result)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return object?["resourceAccount"] as? String
        }
        #expect(try resourceAccount(["--resource", "arn:aws:s3:::bucket/key", "--principal", Self.partner]) == "444455556666")
        #expect(try resourceAccount(["--resource", "*"]) == "000000000000")
        #expect(try resourceAccount(["--resource", "*", "--principal", "444455556666"]) == "444455556666")
        #expect(try resourceAccount(["--resource", Self.function, "--principal", Self.partner]) == "111122223333")
    }

    @Test("a service principal is allowed by the resource policy alone, with the context it names")
    func servicePrincipal() throws {
        let grant = #"""
        {"Version":"2012-10-17","Statement":[{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},
          "Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:my-fn",
          "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"}}}]}
        """#
        let base = ["--resource-policy", "grant.json", "--principal", "s3.amazonaws.com", "--action", "lambda:InvokeFunction",
                    "--resource", Self.function]
        let allowed = try simulate(["grant.json": grant], base + ["--context", "aws:SourceArn=arn:aws:s3:::uploads"])
        #expect(lines(allowed).first == "allowed", "\(allowed)")
        #expect(lines(allowed).contains("* grant.json [resource] statement 0, Sid s3: Allow"), "\(allowed)")
        let otherBucket = try simulate(["grant.json": grant], base + ["--context", "aws:SourceArn=arn:aws:s3:::elsewhere"])
        #expect(lines(otherBucket).first == "implicitDeny", "\(otherBucket)")
        #expect(otherBucket.stdout.contains("User: s3.amazonaws.com is not authorized"), "\(otherBucket)")
    }

    @Test("a malformed policy exits 1 with a message naming the file and the element at fault")
    func malformed() throws {
        let badNumber = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]}"#
        let result = try simulate(["bad.json": badNumber], ["--policy", "bad.json", "--action", "s3:ListBucket", "--resource", "*"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderr.contains("bad.json"), "\(result)")
        #expect(result.stderr.contains("Statement[1].Condition.NumericLessThan.s3:max-keys"), "\(result)")
        #expect(result.stderr.contains("\"ten\" is not a number"), "\(result)")

        let syntax = try simulate(["broken.json": "{\"Version\":\"2012-10-17\",\n \"Statement\": [}"],
                                  ["--policy", "broken.json", "--action", "s3:ListBucket", "--resource", "*"])
        #expect(syntax.status == 1, "\(syntax)")
        #expect(syntax.stderr.contains("broken.json"), "\(syntax)")
        #expect(syntax.stderr.contains("line 2, column"), "\(syntax)")

        let misplaced = #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#
        let wrongSide = try simulate(["grant.json": misplaced], ["--policy", "grant.json", "--action", "s3:ListBucket", "--resource", "*"])
        #expect(wrongSide.status == 1, "\(wrongSide)")
        #expect(wrongSide.stderr.contains("Statement.Principal"), "\(wrongSide)")
        #expect(wrongSide.stderr.contains("--resource-policy"), "\(wrongSide)")

        let missing = try simulate([:], ["--policy", "absent.json", "--action", "s3:ListBucket", "--resource", "*"])
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr.contains("absent.json: no such file"), "\(missing)")

        // Oracle: the same command with a valid policy exits 0.
        let valid = try simulate(["good.json": Self.allowAll], ["--policy", "good.json", "--action", "s3:ListBucket", "--resource", "*"])
        #expect(valid.status == 0, "\(valid)")
        #expect(lines(valid).first == "allowed", "\(valid)")
    }

    @Test("bad options exit 2 with a message naming the option", arguments: [
        (["--resource", "*"], "action"),
        (["--action", "lambda:*", "--resource", "*"], "--action"),
        (["--action", "lambda:GetFunction", "--resource", "my-fn"], "--resource"),
        (["--action", "lambda:GetFunction", "--resource", "arn:aws:s3:::*"], "--resource"),
        (["--action", "lambda:GetFunction", "--resource", "*", "--principal", "bob"], "--principal"),
        (["--action", "lambda:GetFunction", "--resource", "*", "--context", "novalue"], "--context"),
    ])
    func badOptions(arguments: [String], named: String) throws {
        let result = try simulate(["p.json": Self.allowAll], ["--policy", "p.json"] + arguments)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(named), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test("without any policy file the command refuses to run (exit 2)")
    func noPolicies() throws {
        let result = try simulate([:], ["--action", "lambda:GetFunction", "--resource", Self.function])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("--policy"), "\(result)")
    }

    @Test("--help documents the decisions, the keys the command sets, the default principal and the exit statuses")
    func help() throws {
        let result = try CorralBinary.run(["policy", "simulate", "--help"])
        #expect(result.status == 0, "\(result)")
        for phrase in ["allowed", "explicitDeny", "implicitDeny", "aws:CurrentTime", "aws:PrincipalArn", "lambda:FunctionArn",
                       "simulated-user", "Exit status", "--resource-policy", "--context"] {
            #expect(result.stdout.contains(phrase), "\(phrase) missing from --help")
        }
        let group = try CorralBinary.run(["policy", "--help"])
        #expect(group.stdout.contains("simulate"), "\(group)")
    }
}
