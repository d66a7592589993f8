import Testing
@testable import CorralPolicy

@Suite struct EvaluationTests {
    private let ciPolicyName = "key ci-deployer identity policy"
    private let functionPolicyName = "function my-fn resource policy"

    private func identity(_ body: String, effect: String = "Allow") throws -> NamedPolicy {
        .identity(ciPolicyName, try Fixtures.identity(Fixtures.statementJSON(body, effect: effect)))
    }

    private func resource(_ json: String) throws -> NamedPolicy {
        .resource(functionPolicyName, try Fixtures.resource(json))
    }

    /// A resource policy with one statement: `principal` may `action` on the function.
    private func grant(_ principal: String, effect: String = "Allow", action: String = "lambda:*", sid: String = "grant") throws -> NamedPolicy {
        try resource(#"{"Version":"2012-10-17","Statement":[{"Sid":"\#(sid)","Effect":"\#(effect)","Principal":\#(principal),"Action":"\#(action)","Resource":"\#(Fixtures.function)"}]}"#)
    }

    @Test("an identity Allow allows and the decision names the statement")
    func identityAllow() throws {
        let policy = NamedPolicy.identity(ciPolicyName, try Fixtures.identity(#"""
        {"Version":"2012-10-17","Statement":[
          {"Sid":"Invoke","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"},
          {"Sid":"Read","Effect":"Allow","Action":"lambda:Get*","Resource":"arn:aws:lambda:*:111122223333:function:*"}]}
        """#))
        let decision = PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [policy], resourcePolicy: nil)
        #expect(decision.effect == .allow)
        #expect(decision.statement == DecidingStatement(policyName: ciPolicyName, policyKind: .identity, index: 1, sid: "Read", effect: .allow))
        #expect(decision.statement?.description == "key ci-deployer identity policy, statement 1 (Sid Read): Allow")
        #expect(decision.accessDeniedMessage(for: Fixtures.request()) == nil)
    }

    @Test("with no applicable Allow the request is implicitly denied, with AWS's message")
    func implicitDeny() throws {
        let request = Fixtures.request()
        let decision = PolicyEvaluator.evaluate(request, identityPolicies: [try identity(#""Action":"lambda:List*","Resource":"*""#)], resourcePolicy: nil)
        #expect(decision.effect == .implicitDeny)
        #expect(decision.statement == nil)
        #expect(decision.accessDeniedMessage(for: request) ==
            "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:my-fn because no identity-based policy allows the lambda:GetFunction action")
        #expect(PolicyEvaluator.evaluate(request, identityPolicies: [], resourcePolicy: nil).effect == .implicitDeny)
    }

    @Test("an explicit Deny beats an Allow in another policy, with AWS's message naming the policy type")
    func explicitDeny() throws {
        let request = Fixtures.request()
        let allowAll = try identity(#""Action":"*","Resource":"*""#)
        let denyInIdentity = NamedPolicy.identity("guardrail", try Fixtures.identity(Fixtures.statementJSON(#""Sid":"NoGet","Action":"lambda:GetFunction","Resource":"*""#, effect: "Deny")))
        let decision = PolicyEvaluator.evaluate(request, identityPolicies: [allowAll, denyInIdentity], resourcePolicy: try grant(#""*""#))
        #expect(decision.effect == .explicitDeny)
        #expect(decision.statement == DecidingStatement(policyName: "guardrail", policyKind: .identity, index: 0, sid: "NoGet", effect: .deny))
        #expect(decision.accessDeniedMessage(for: request) ==
            "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:my-fn with an explicit deny in an identity-based policy")

        let denyInResource = try grant(#"{"AWS":"111122223333"}"#, effect: "Deny", sid: "lockdown")
        let resourceDecision = PolicyEvaluator.evaluate(request, identityPolicies: [allowAll], resourcePolicy: denyInResource)
        #expect(resourceDecision.effect == .explicitDeny)
        #expect(resourceDecision.statement?.policyKind == .resource)
        #expect(resourceDecision.accessDeniedMessage(for: request) ==
            "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:my-fn with an explicit deny in a resource-based policy")
    }

    @Test("NotAction with Allow grants every other action; with Deny it denies every other action")
    func notAction() throws {
        let allowAllBut = try identity(#""NotAction":"lambda:DeleteFunction","Resource":"*""#)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [allowAllBut], resourcePolicy: nil).effect == .allow)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(Fixtures.ci, "lambda:DeleteFunction"), identityPolicies: [allowAllBut], resourcePolicy: nil).effect == .implicitDeny)

        let allowLambda = try identity(#""Action":"lambda:*","Resource":"*""#)
        let denyAllBut = try identity(#""NotAction":"lambda:InvokeFunction","Resource":"*""#, effect: "Deny")
        #expect(PolicyEvaluator.evaluate(Fixtures.request(Fixtures.ci, "lambda:InvokeFunction"), identityPolicies: [allowLambda, denyAllBut], resourcePolicy: nil).effect == .allow)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [allowLambda, denyAllBut], resourcePolicy: nil).effect == .explicitDeny)
    }

    @Test("NotResource covers every resource except those listed")
    func notResource() throws {
        let policy = try identity(#""Action":"lambda:*","NotResource":"arn:aws:lambda:*:*:function:secret*""#)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [policy], resourcePolicy: nil).effect == .allow)
        let secret = Fixtures.request(resource: "arn:aws:lambda:us-east-1:111122223333:function:secret-fn")
        #expect(PolicyEvaluator.evaluate(secret, identityPolicies: [policy], resourcePolicy: nil).effect == .implicitDeny)
    }

    @Test("actions compare case-insensitively; resources and qualifiers exactly")
    func actionsAndQualifiers() throws {
        let policy = try identity(#""Action":"LAMBDA:getfunction","Resource":"\#(Fixtures.function)""#)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [policy], resourcePolicy: nil).effect == .allow)
        let qualified = Fixtures.request(resource: Fixtures.function + ":prod")
        #expect(PolicyEvaluator.evaluate(qualified, identityPolicies: [policy], resourcePolicy: nil).effect == .implicitDeny)
        let anyQualifier = try identity(#""Action":"lambda:GetFunction","Resource":"\#(Fixtures.function):*""#)
        #expect(PolicyEvaluator.evaluate(qualified, identityPolicies: [anyQualifier], resourcePolicy: nil).effect == .allow)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [anyQualifier], resourcePolicy: nil).effect == .implicitDeny)
    }

    @Test("same account: an Allow in the resource policy alone is enough")
    func sameAccountUnion() throws {
        let decision = PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [], resourcePolicy: try grant(#"{"AWS":"\#(Fixtures.user)"}"#))
        #expect(decision.effect == .allow)
        #expect(decision.statement?.policyName == functionPolicyName)
        #expect(decision.statement?.sid == "grant")
    }

    @Test("cross-account: it takes an Allow in the identity policy and one in the resource policy")
    func crossAccount() throws {
        let request = Fixtures.request(Fixtures.partner)
        let partnerIdentity = NamedPolicy.identity("partner identity", try Fixtures.identity(Fixtures.statementJSON(#""Action":"lambda:*","Resource":"*""#)))
        let resourceGrant = try grant(#"{"AWS":"\#(Fixtures.otherAccount)"}"#)

        let identityOnly = PolicyEvaluator.evaluate(request, identityPolicies: [partnerIdentity], resourcePolicy: nil)
        #expect(identityOnly.effect == .implicitDeny)
        #expect(identityOnly.missingAllow == .resource)
        #expect(identityOnly.accessDeniedMessage(for: request) ==
            "User: arn:aws:iam::444455556666:user/partner is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:my-fn because no resource-based policy allows the lambda:GetFunction action")

        let resourceOnly = PolicyEvaluator.evaluate(request, identityPolicies: [], resourcePolicy: resourceGrant)
        #expect(resourceOnly.effect == .implicitDeny)
        #expect(resourceOnly.missingAllow == .identity)

        let both = PolicyEvaluator.evaluate(request, identityPolicies: [partnerIdentity], resourcePolicy: resourceGrant)
        #expect(both.effect == .allow)
        #expect(both.statements.map(\.policyKind) == [.identity, .resource])

        let wrongAccount = try grant(#"{"AWS":"999999999999"}"#)
        #expect(PolicyEvaluator.evaluate(request, identityPolicies: [partnerIdentity], resourcePolicy: wrongAccount).effect == .implicitDeny)
    }

    @Test("principal forms: *, an account, a specific ARN, a service")
    func principals() throws {
        let ciRequest = Fixtures.request()
        let partnerRequest = Fixtures.request(Fixtures.partner)
        let partnerIdentity = NamedPolicy.identity("partner", try Fixtures.identity(Fixtures.statementJSON(#""Action":"*","Resource":"*""#)))
        let s3 = Fixtures.request(.service("s3.amazonaws.com"), "lambda:InvokeFunction")

        let everyone = try grant(#""*""#)
        #expect(PolicyEvaluator.evaluate(ciRequest, identityPolicies: [], resourcePolicy: everyone).isAllowed)
        #expect(PolicyEvaluator.evaluate(partnerRequest, identityPolicies: [partnerIdentity], resourcePolicy: everyone).isAllowed)
        #expect(PolicyEvaluator.evaluate(s3, identityPolicies: [], resourcePolicy: everyone).isAllowed)

        let account = try grant(#"{"AWS":"arn:aws:iam::444455556666:root"}"#)
        #expect(PolicyEvaluator.evaluate(partnerRequest, identityPolicies: [partnerIdentity], resourcePolicy: account).isAllowed)
        #expect(!PolicyEvaluator.evaluate(ciRequest, identityPolicies: [], resourcePolicy: account).isAllowed)

        let specific = try grant(#"{"AWS":"arn:aws:iam::444455556666:user/someone-else"}"#)
        #expect(!PolicyEvaluator.evaluate(partnerRequest, identityPolicies: [partnerIdentity], resourcePolicy: specific).isAllowed)
        let exact = try grant(#"{"AWS":"\#(Fixtures.otherUser)"}"#)
        #expect(PolicyEvaluator.evaluate(partnerRequest, identityPolicies: [partnerIdentity], resourcePolicy: exact).isAllowed)

        let service = try grant(#"{"Service":"s3.amazonaws.com"}"#)
        #expect(PolicyEvaluator.evaluate(s3, identityPolicies: [], resourcePolicy: service).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Fixtures.request(.service("sns.amazonaws.com"), "lambda:InvokeFunction"), identityPolicies: [], resourcePolicy: service).isAllowed)
        #expect(!PolicyEvaluator.evaluate(partnerRequest, identityPolicies: [partnerIdentity], resourcePolicy: service).isAllowed)
        let federated = try grant(#"{"Federated":"cognito-identity.amazonaws.com"}"#)
        #expect(!PolicyEvaluator.evaluate(ciRequest, identityPolicies: [], resourcePolicy: federated).isAllowed)
    }

    @Test("a service is allowed only by the resource policy; without one the message names it")
    func servicePrincipal() throws {
        let s3 = Fixtures.request(.service("s3.amazonaws.com"), "lambda:InvokeFunction")
        let decision = PolicyEvaluator.evaluate(s3, identityPolicies: [try identity(#""Action":"*","Resource":"*""#)], resourcePolicy: nil)
        #expect(decision.effect == .implicitDeny)
        #expect(decision.accessDeniedMessage(for: s3) ==
            "User: s3.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:my-fn because no resource-based policy allows the lambda:InvokeFunction action")
    }

    @Test("NotPrincipal with Deny exempts a user only when the user and its account are both listed")
    func notPrincipal() throws {
        let allowAll = try identity(#""Action":"*","Resource":"*""#)
        func denyAllBut(_ principals: String) throws -> NamedPolicy {
            try resource(#"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":\#(principals)},"Action":"*","Resource":"*"}}"#)
        }
        let onlyUser = try denyAllBut(#"["\#(Fixtures.user)"]"#)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [allowAll], resourcePolicy: onlyUser).effect == .explicitDeny)
        let userAndAccount = try denyAllBut(#"["\#(Fixtures.user)","111122223333"]"#)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [allowAll], resourcePolicy: userAndAccount).effect == .allow)
        let other = Fixtures.request(.iam(arn: "arn:aws:iam::111122223333:user/other", account: Fixtures.account))
        #expect(PolicyEvaluator.evaluate(other, identityPolicies: [allowAll], resourcePolicy: userAndAccount).effect == .explicitDeny)
    }

    @Test("the account root is allowed in its own account without a statement, but not past a Deny")
    func accountRoot() throws {
        let root = Fixtures.request(.accountRoot(Fixtures.account))
        let decision = PolicyEvaluator.evaluate(root, identityPolicies: [], resourcePolicy: nil)
        #expect(decision.effect == .allow)
        #expect(decision.statements.isEmpty)
        let deny = try grant(#""*""#, effect: "Deny")
        #expect(PolicyEvaluator.evaluate(root, identityPolicies: [], resourcePolicy: deny).effect == .explicitDeny)
        let foreignRoot = Fixtures.request(.accountRoot(Fixtures.otherAccount))
        #expect(PolicyEvaluator.evaluate(foreignRoot, identityPolicies: [], resourcePolicy: nil).effect == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(foreignRoot, identityPolicies: [], resourcePolicy: try grant(#"{"AWS":"444455556666"}"#)).effect == .allow)
    }

    @Test("conditions gate statements, and an undecided condition never allows but does deny")
    func conditionsAndErrors() throws {
        var office = ConditionContext()
        office.sourceIp = "203.0.113.7"
        var home = ConditionContext()
        home.sourceIp = "198.51.100.1"
        let fromOffice = try identity(#""Action":"lambda:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(context: office), identityPolicies: [fromOffice], resourcePolicy: nil).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Fixtures.request(context: home), identityPolicies: [fromOffice], resourcePolicy: nil).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [fromOffice], resourcePolicy: nil).isAllowed)

        let garbage = Fixtures.context("aws:SourceIp", "not-an-ip")
        let notFromOffice = try identity(#""Action":"lambda:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(context: garbage), identityPolicies: [notFromOffice], resourcePolicy: nil).effect == .implicitDeny)
        let allowAll = try identity(#""Action":"*","Resource":"*""#)
        let denyOutside = try identity(#""Action":"lambda:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, effect: "Deny")
        #expect(PolicyEvaluator.evaluate(Fixtures.request(context: garbage), identityPolicies: [allowAll, denyOutside], resourcePolicy: nil).effect == .explicitDeny)
        #expect(PolicyEvaluator.evaluate(Fixtures.request(context: office), identityPolicies: [allowAll, denyOutside], resourcePolicy: nil).effect == .allow)
    }

    @Test("a policy is treated and reported by the argument it is passed in")
    func positionDecidesKind() throws {
        let denyDocument = try Fixtures.identity(Fixtures.statementJSON(#""Action":"*","Resource":"*""#, effect: "Deny"))
        let mislabelled = NamedPolicy(name: "mislabelled", kind: .resource, document: denyDocument)
        let decision = PolicyEvaluator.evaluate(Fixtures.request(), identityPolicies: [mislabelled], resourcePolicy: nil)
        #expect(decision.statement?.policyKind == .identity)
        #expect(decision.accessDeniedMessage(for: Fixtures.request())?.hasSuffix("with an explicit deny in an identity-based policy") == true)
    }

    @Test("the resource account can be read from the resource ARN")
    func resourceAccountFromARN() throws {
        let request = try #require(AuthorizationRequest(principal: Fixtures.partner, action: "lambda:GetFunction", resource: Fixtures.function))
        #expect(request.resourceAccount == Fixtures.account)
        #expect(!request.isSameAccount)
        #expect(AuthorizationRequest(principal: Fixtures.ci, action: "s3:GetObject", resource: "arn:aws:s3:::bucket") == nil)
    }
}
