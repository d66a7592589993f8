import Testing
@testable import CorralPolicy

@Suite struct PolicyVariableTests {
    private let alice = Fixtures.context("aws:username", "alice")

    private func s3Request(_ key: String, context: ConditionContext) -> AuthorizationRequest {
        Fixtures.request(Fixtures.ci, "s3:GetObject", resource: "arn:aws:s3:::bucket/\(key)", context: context)
    }

    private func decide(_ policy: String, _ request: AuthorizationRequest) throws -> Decision.Effect {
        PolicyEvaluator.evaluate(request, identityPolicies: [.identity("test", try Fixtures.identity(policy))], resourcePolicy: nil).effect
    }

    @Test("a variable in Resource is replaced from the context, case-insensitively")
    func resourceVariable() throws {
        let policy = Fixtures.statementJSON(#""Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${AWS:UserName}/*""#)
        #expect(try decide(policy, s3Request("home/alice/notes.txt", context: alice)) == .allow)
        #expect(try decide(policy, s3Request("home/bob/notes.txt", context: alice)) == .implicitDeny)
    }

    @Test("only the part after the fifth colon of a Resource is substituted")
    func resourcePrefixIsLiteral() throws {
        let context = Fixtures.context("aws:PrincipalAccount", Fixtures.account)
        let pattern = try PolicyVariables(context: context).resourcePattern("arn:aws:lambda:us-east-1:${aws:PrincipalAccount}:function:f")
        #expect(!pattern.matches("arn:aws:lambda:us-east-1:111122223333:function:f"))
        let after = try PolicyVariables(context: alice).resourcePattern("arn:aws:iam::111122223333:user/${aws:username}")
        #expect(after.matches("arn:aws:iam::111122223333:user/alice"))
        #expect(try PolicyVariables(context: alice).resourcePattern("*").matches("arn:aws:s3:::x"))
    }

    @Test("a default is used when the key is missing or multivalued")
    func defaults() throws {
        let variables = PolicyVariables(context: ConditionContext())
        #expect(try variables.pattern("home/${aws:username, 'anonymous'}/", wildcards: true).text == "home/anonymous/")
        #expect(try variables.pattern("${aws:userid,'x y'}", wildcards: false).text == "x y")
        #expect(try PolicyVariables(context: alice).pattern("${aws:username, 'anonymous'}", wildcards: false).text == "alice")
        let tags = PolicyVariables(context: Fixtures.context("aws:TagKeys", "a", "b"))
        #expect(try tags.pattern("${aws:TagKeys, 'none'}", wildcards: false).text == "none")
        #expect(throws: PolicyVariables.Unresolved.self) { try tags.pattern("${aws:TagKeys}", wildcards: false) }
    }

    @Test("${*}, ${?} and ${$} are literal characters, and a literal * matches only an asterisk")
    func literals() throws {
        let variables = PolicyVariables(context: ConditionContext())
        let star = try variables.pattern("a${*}b", wildcards: true)
        #expect(star.matches("a*b"))
        #expect(!star.matches("axyb"))
        #expect(try variables.pattern("why${?}", wildcards: true).matches("why?"))
        #expect(!(try variables.pattern("why${?}", wildcards: true).matches("whyX")))
        #expect(try variables.pattern("${$}{aws:username}", wildcards: false).text == "${aws:username}")
        let policy = Fixtures.statementJSON(#""Action":"s3:*","Resource":"arn:aws:s3:::bucket/${*}""#)
        #expect(try decide(policy, s3Request("*", context: alice)) == .allow)
        #expect(try decide(policy, s3Request("anything", context: alice)) == .implicitDeny)
    }

    @Test("substituted text is literal: a * in a value is not a wildcard")
    func substitutedTextIsLiteral() throws {
        let policy = Fixtures.statementJSON(#""Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:username}""#)
        let star = Fixtures.context("aws:username", "*")
        #expect(try decide(policy, s3Request("alice", context: star)) == .implicitDeny)
        #expect(try decide(policy, s3Request("*", context: star)) == .allow)
    }

    @Test("with Version 2008-10-17 or none, ${...} is literal text")
    func legacyVersions() throws {
        for version in ["2008-10-17", nil] {
            let policy = Fixtures.statementJSON(#""Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:username}""#, version: version)
            #expect(try decide(policy, s3Request("alice", context: alice)) == .implicitDeny)
            #expect(try decide(policy, s3Request("${aws:username}", context: alice)) == .allow)
            let condition = Fixtures.statementJSON(#""Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}"#, version: version)
            #expect(try decide(condition, s3Request("x", context: ConditionContext(["aws:username": ["alice"], "s3:prefix": ["alice"]]))) == .implicitDeny)
            #expect(try decide(condition, s3Request("x", context: ConditionContext(["s3:prefix": ["${aws:username}"]]))) == .allow)
        }
    }

    @Test("variables work in String, ARN and Bool condition values")
    func conditionVariables() {
        let context = ConditionContext([
            "aws:username": ["alice"], "s3:prefix": ["home/alice/docs"], "aws:PrincipalAccount": [Fixtures.account],
            "aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:alice-topic"], "x:flag": ["true"], "x:want": ["TRUE"],
        ])
        #expect(Fixtures.condition("StringLike", "s3:prefix", ["home/${aws:username}/*"], context) == .yes)
        #expect(Fixtures.condition("StringEquals", "s3:prefix", ["home/${aws:username}/docs"], context) == .yes)
        #expect(Fixtures.condition("StringEqualsIgnoreCase", "s3:prefix", ["HOME/${aws:username}/DOCS"], context) == .yes)
        #expect(Fixtures.condition("ArnLike", "aws:SourceArn", ["arn:aws:sns:*:${aws:PrincipalAccount}:${aws:username}-*"], context) == .yes)
        #expect(Fixtures.condition("ArnLike", "aws:SourceArn", ["arn:aws:sns:*:${aws:PrincipalAccount}:bob-*"], context) == .no)
        #expect(Fixtures.condition("Bool", "x:flag", ["${x:want}"], context) == .yes)
        #expect(Fixtures.condition("StringLike", "s3:prefix", ["home/${aws:username}/*"], context, variables: false) == .no)
    }

    @Test("an unresolved variable matches nothing, and cannot widen a negated condition or NotResource")
    func unresolved() throws {
        let nobody = ConditionContext(["s3:prefix": ["home/x"]])
        #expect(Fixtures.condition("StringLike", "s3:prefix", ["home/${aws:username}*", "other"], nobody) == .no)
        #expect(Fixtures.condition("StringLike", "s3:prefix", ["home/${aws:username}*", "home/*"], nobody) == .yes)
        #expect(Fixtures.condition("StringNotLike", "s3:prefix", ["home/${aws:username}/*"], nobody) == .undecided)
        #expect(Fixtures.condition("StringNotLike", "s3:prefix", ["home/${aws:username}/*", "home/*"], nobody) == .no)

        let allow = Fixtures.statementJSON(#""Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:username}/*""#)
        #expect(try decide(allow, s3Request("${aws:username}/x", context: ConditionContext())) == .implicitDeny)
        let notResourceAllow = Fixtures.statementJSON(#""Action":"s3:*","NotResource":"arn:aws:s3:::bucket/${aws:username}/*""#)
        #expect(try decide(notResourceAllow, s3Request("other/x", context: ConditionContext())) == .implicitDeny)
        #expect(try decide(notResourceAllow, s3Request("other/x", context: alice)) == .allow)
        let negatedAllow = Fixtures.statementJSON(#""Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:username}"}}"#)
        #expect(try decide(negatedAllow, s3Request("x", context: nobody)) == .implicitDeny)
    }

    @Test("text that starts ${ but is not a variable stays literal")
    func malformedVariables() throws {
        let variables = PolicyVariables(context: alice)
        #expect(try variables.pattern("cost ${5", wildcards: false).text == "cost ${5")
        #expect(try variables.pattern("${}", wildcards: false).text == "${}")
        #expect(try variables.pattern("${aws:username, anonymous}", wildcards: false).text == "${aws:username, anonymous}")
        #expect(try variables.pattern("${a${aws:username}", wildcards: false).text == "${aalice")
    }
}
