import Testing
@testable import CorralPolicy

@Suite struct MalformedPolicyTests {
    /// The path of the error refusing a one-statement identity policy with `body` after Effect.
    private func path(_ body: String, effect: String = "Allow") -> String? {
        Fixtures.refusal(Fixtures.statementJSON(body, effect: effect))?.path
    }

    @Test("malformed JSON is refused at the document, with its line and column")
    func badJSON() throws {
        let error = try #require(Fixtures.refusal("{\"Version\": \"2012-10-17\",\n \"Statement\": [}"))
        #expect(error.kind == .malformedPolicy)
        #expect(error.path == "Policy")
        #expect(error.message == "malformed JSON at line 2, column 16: unexpected character '}'")
        #expect(error.description == "Policy: malformed JSON at line 2, column 16: unexpected character '}'")
        #expect(Fixtures.refusal(#"["Statement"]"#)?.path == "Policy")
        #expect(Fixtures.refusal(#"{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}"#)?.path == "Policy")
    }

    @Test("an Effect other than exactly Allow or Deny is refused")
    func badEffect() {
        #expect(path(#""Action":"*","Resource":"*""#, effect: "allow") == "Statement[0].Effect")
        #expect(path(#""Action":"*","Resource":"*""#, effect: "Permit") == "Statement[0].Effect")
        #expect(Fixtures.refusal(#"{"Statement":[{"Action":"*","Resource":"*"}]}"#)?.path == "Statement[0].Effect")
        #expect(Fixtures.refusal(#"{"Statement":[{"Effect":true,"Action":"*","Resource":"*"}]}"#)?.message == "must be a string, not a boolean")
    }

    @Test("Action and NotAction, Resource and NotResource: exactly one of each")
    func pairs() {
        #expect(path(#""Action":"*","NotAction":"s3:*","Resource":"*""#) == "Statement[0].NotAction")
        #expect(path(#""Resource":"*""#) == "Statement[0].Action")
        #expect(path(#""Action":"*","Resource":"*","NotResource":"*""#) == "Statement[0].NotResource")
        #expect(path(#""Action":"*""#) == "Statement[0].Resource")
    }

    @Test("wrong types, empty lists and malformed entries are refused where they are")
    func types() {
        #expect(path(#""Action":[],"Resource":"*""#) == "Statement[0].Action")
        #expect(path(#""Action":5,"Resource":"*""#) == "Statement[0].Action")
        #expect(path(#""Action":["lambda:Get*",7],"Resource":"*""#) == "Statement[0].Action")
        #expect(path(#""Action":"","Resource":"*""#) == "Statement[0].Action")
        #expect(path(#""Action":"InvokeFunction","Resource":"*""#) == "Statement[0].Action")
        #expect(path(#""Action":"*","Resource":"my-function""#) == "Statement[0].Resource")
        #expect(path(#""Action":"*","Resource":"*","Sid":3"#) == "Statement[0].Sid")
        #expect(path(#""Action":"*","Resource":"*","Condition":[]"#) == "Statement[0].Condition")
        #expect(Fixtures.refusal(#"{"Version":20121017,"Statement":[]}"#)?.path == "Version")
        #expect(Fixtures.refusal(#"{"Version":"2020-01-01","Statement":[]}"#)?.path == "Version")
        #expect(Fixtures.refusal(#"{"Statement":"Allow"}"#)?.path == "Statement")
        #expect(Fixtures.refusal(#"{"Version":"2012-10-17"}"#)?.path == "Statement")
        #expect(Fixtures.refusal(#"{"Statement":["x"]}"#)?.path == "Statement[0]")
    }

    @Test("unknown elements at the top and in statements are refused")
    func unknownKeys() {
        #expect(Fixtures.refusal(#"{"Version":"2012-10-17","Statment":[]}"#)?.path == "Statment")
        #expect(path(#""Actions":"*","Resource":"*""#) == "Statement[0].Actions")
    }

    @Test("a Principal in an identity policy, or none in a resource policy, is refused")
    func principals() {
        let withPrincipal = Fixtures.statementJSON(#""Principal":"*","Action":"*","Resource":"*""#)
        let identityError = Fixtures.refusal(withPrincipal, kind: .identity)
        #expect(identityError?.path == "Statement[0].Principal")
        #expect(identityError?.message == "an identity-based policy cannot name a principal")
        #expect(Fixtures.refusal(withPrincipal, kind: .resource) == nil)
        #expect(Fixtures.refusal(Fixtures.statementJSON(#""Action":"*","Resource":"*""#), kind: .resource)?.path == "Statement[0].Principal")
        func resourcePath(_ principal: String, effect: String = "Allow") -> String? {
            Fixtures.refusal(Fixtures.statementJSON(#"\#(principal),"Action":"*","Resource":"*""#, effect: effect), kind: .resource)?.path
        }
        #expect(resourcePath(#""Principal":{"Group":"admins"}"#) == "Statement[0].Principal.Group")
        #expect(resourcePath(#""Principal":{"AWS":"bob"}"#) == "Statement[0].Principal.AWS")
        #expect(resourcePath(#""Principal":"someone""#) == "Statement[0].Principal")
        #expect(resourcePath(#""Principal":{}"#) == "Statement[0].Principal")
        #expect(resourcePath(#""Principal":"*","NotPrincipal":"*""#, effect: "Deny") == "Statement[0].NotPrincipal")
        #expect(resourcePath(#""NotPrincipal":{"AWS":"111122223333"}"#) == "Statement[0].NotPrincipal")
        #expect(resourcePath(#""NotPrincipal":{"AWS":"111122223333"}"#, effect: "Deny") == nil)
    }

    @Test("unknown operators and values the operator cannot take are refused at the key")
    func conditions() throws {
        func conditionError(_ condition: String) -> PolicyError? {
            Fixtures.refusal(Fixtures.statementJSON(#""Action":"*","Resource":"*","Condition":\#(condition)"#))
        }
        #expect(conditionError(#"{"StringEqualz":{"k":"v"}}"#)?.path == "Statement[0].Condition.StringEqualz")
        #expect(conditionError(#"{"NullIfExists":{"k":"true"}}"#)?.path == "Statement[0].Condition.NullIfExists")
        let numeric = try #require(conditionError(#"{"NumericEquals":{"s3:max-keys":"ten"}}"#))
        #expect(numeric.path == "Statement[0].Condition.NumericEquals.s3:max-keys")
        #expect(numeric.message == "\"ten\" is not a number")
        #expect(conditionError(#"{"NumericLessThan":{"n":["1","0x10"]}}"#)?.path == "Statement[0].Condition.NumericLessThan.n")
        #expect(conditionError(#"{"NumericLessThan":{"n":"inf"}}"#) != nil)
        #expect(conditionError(#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/33"}}"#)?.path == "Statement[0].Condition.IpAddress.aws:SourceIp")
        #expect(conditionError(#"{"NotIpAddress":{"aws:SourceIp":"2001:db8::g/64"}}"#) != nil)
        #expect(conditionError(#"{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}"#) != nil)
        #expect(conditionError(#"{"DateLessThan":{"aws:CurrentTime":"next tuesday"}}"#)?.path == "Statement[0].Condition.DateLessThan.aws:CurrentTime")
        #expect(conditionError(#"{"DateLessThan":{"aws:CurrentTime":"2024-02-30"}}"#) != nil)
        #expect(conditionError(#"{"Bool":{"aws:SecureTransport":"yes"}}"#)?.path == "Statement[0].Condition.Bool.aws:SecureTransport")
        #expect(conditionError(#"{"BinaryEquals":{"k":"not base64!"}}"#)?.path == "Statement[0].Condition.BinaryEquals.k")
        #expect(conditionError(#"{"Null":{"k":"maybe"}}"#)?.path == "Statement[0].Condition.Null.k")
        #expect(conditionError(#"{"StringEquals":{"k":null}}"#)?.path == "Statement[0].Condition.StringEquals.k")
        #expect(conditionError(#"{"StringEquals":{"k":[]}}"#)?.path == "Statement[0].Condition.StringEquals.k")
        #expect(conditionError(#"{"StringEquals":{}}"#)?.path == "Statement[0].Condition.StringEquals")
        #expect(conditionError(#"{"StringEquals":"k"}"#)?.path == "Statement[0].Condition.StringEquals")
    }

    @Test("an error in a later statement names that statement")
    func laterStatement() throws {
        let error = try #require(Fixtures.refusal(#"""
        {"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"*","Resource":"*"},
          {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:EpochTime":"soon"}}}]}
        """#))
        #expect(error.description == "Statement[1].Condition.NumericLessThan.aws:EpochTime: \"soon\" is not a number")
    }

    @Test("duplicate Sids are refused")
    func duplicateSids() {
        let text = #"{"Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}]}"#
        #expect(Fixtures.refusal(text)?.path == "Statement[1].Sid")
    }

    @Test("oversize documents are refused before parsing")
    func oversize() throws {
        let filler = String(repeating: "x", count: PolicyDocument.maximumIdentityPolicyCharacters)
        let identity = try #require(Fixtures.refusal(Fixtures.statementJSON(#""Action":"*","Resource":"*","Sid":"\#(filler)""#)))
        #expect(identity.kind == .policyLengthExceeded)
        #expect(identity.path == "Policy")
        let resourceFiller = String(repeating: "y", count: PolicyDocument.maximumResourcePolicyBytes)
        let resource = try #require(Fixtures.refusal(#"{"Statement":[],"Id":"\#(resourceFiller)"}"#, kind: .resource))
        #expect(resource.kind == .policyLengthExceeded)
        #expect(resource.message == "the policy is 20504 bytes; the limit is 20480")
        // Over the limit and malformed: the size is what is reported, because it is checked first.
        #expect(Fixtures.refusal("{" + resourceFiller, kind: .resource)?.kind == .policyLengthExceeded)
        // Just under the resource limit parses.
        let fits = #"{"Statement":[],"Id":""#
        let exact = fits + String(repeating: "z", count: PolicyDocument.maximumResourcePolicyBytes - fits.utf8.count - 2) + "\"}"
        #expect(exact.utf8.count == PolicyDocument.maximumResourcePolicyBytes)
        #expect(Fixtures.refusal(exact, kind: .resource) == nil)
    }
}
