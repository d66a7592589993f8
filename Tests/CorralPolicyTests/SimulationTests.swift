import Testing
@testable import CorralPolicy

/// `PolicyEvaluator.simulate`: the same decision as `evaluate`, and every statement that matched.
@Suite struct SimulationTests {
    private let identity = NamedPolicy.identity("ci.json", try! Fixtures.identity(#"""
    {"Version":"2012-10-17","Statement":[
      {"Sid":"ReadAll","Effect":"Allow","Action":"lambda:Get*","Resource":"*"},
      {"Sid":"ListOnly","Effect":"Allow","Action":"lambda:List*","Resource":"*"},
      {"Effect":"Allow","Action":"lambda:GetFunction","Resource":"arn:aws:lambda:*:111122223333:function:*"},
      {"Sid":"NoSecrets","Effect":"Deny","Action":"*","Resource":"arn:aws:lambda:*:*:function:secret*"}]}
    """#))
    private let resource = NamedPolicy.resource("fn-policy.json", try! Fixtures.resource(#"""
    {"Version":"2012-10-17","Statement":[
      {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"lambda:*","Resource":"*"},
      {"Sid":"Team","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"lambda:GetFunction","Resource":"*"}]}
    """#))

    private func statement(_ policy: String, _ kind: PolicyKind, _ index: Int, _ sid: String?,
                           _ effect: PolicyStatement.Effect) -> DecidingStatement {
        DecidingStatement(policyName: policy, policyKind: kind, index: index, sid: sid, effect: effect)
    }

    @Test("every matching statement is reported, identity policies first, and the deciding one is marked")
    func everyMatch() {
        let simulation = PolicyEvaluator.simulate(Fixtures.request(), identityPolicies: [identity], resourcePolicy: resource)
        #expect(simulation.decision.effect == .allow)
        #expect(simulation.matchedStatements.map(\.statement) == [
            statement("ci.json", .identity, 0, "ReadAll", .allow),
            statement("ci.json", .identity, 2, nil, .allow),
            statement("fn-policy.json", .resource, 1, "Team", .allow),
        ])
        #expect(simulation.matchedStatements.map(simulation.isDeciding) == [true, false, false])
        #expect(simulation.matchedStatements.allSatisfy { !$0.isUndecided })
    }

    @Test("under an explicit deny, the Allows that also matched are reported beside the Deny")
    func denyAndAllows() {
        let secret = Fixtures.request(resource: "arn:aws:lambda:us-east-1:111122223333:function:secret-fn")
        let simulation = PolicyEvaluator.simulate(secret, identityPolicies: [identity], resourcePolicy: nil)
        #expect(simulation.decision.effect == .explicitDeny)
        #expect(simulation.matchedStatements.map(\.statement.index) == [0, 2, 3])
        #expect(simulation.matchedStatements.filter(simulation.isDeciding).map(\.statement.sid) == ["NoSecrets"])
    }

    @Test("no matched statements for an implicit deny with nothing applicable")
    func nothingMatches() {
        let simulation = PolicyEvaluator.simulate(Fixtures.request(Fixtures.ci, "lambda:DeleteFunction"),
                                                  identityPolicies: [identity], resourcePolicy: resource)
        #expect(simulation.decision.effect == .implicitDeny)
        #expect(simulation.matchedStatements.isEmpty)
    }

    @Test("a cross-account allow reports both sides, and both decide")
    func crossAccount() {
        let partnerPolicy = NamedPolicy.identity("partner.json", try! Fixtures.identity(Fixtures.statementJSON(#""Action":"lambda:*","Resource":"*""#)))
        let simulation = PolicyEvaluator.simulate(Fixtures.request(Fixtures.partner), identityPolicies: [partnerPolicy], resourcePolicy: resource)
        #expect(simulation.decision.effect == .allow)
        #expect(simulation.matchedStatements.map(\.statement.policyName) == ["partner.json", "fn-policy.json"])
        #expect(simulation.matchedStatements.allSatisfy(simulation.isDeciding))
    }

    @Test("statements whose condition cannot be decided are reported as undecided; only the Deny takes effect")
    func undecided() throws {
        let policy = NamedPolicy.identity("odd.json", try Fixtures.identity(#"""
        {"Version":"2012-10-17","Statement":[
          {"Sid":"Small","Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"x:size":"10"}}},
          {"Sid":"Big","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"x:size":"100"}}}]}
        """#))
        let request = Fixtures.request(context: Fixtures.context("x:size", "many"))
        let simulation = PolicyEvaluator.simulate(request, identityPolicies: [policy], resourcePolicy: nil)
        #expect(simulation.decision.effect == .explicitDeny)
        #expect(simulation.matchedStatements.map(\.isUndecided) == [true, true])
        #expect(simulation.matchedStatements.map(\.description) == [
            "odd.json, statement 0 (Sid Small): Allow (undecided)", "odd.json, statement 1 (Sid Big): Deny (undecided)",
        ])
    }

    @Test("simulate decides exactly as evaluate does", arguments: [
        ("lambda:GetFunction", Fixtures.function), ("lambda:ListFunctions", "*"), ("lambda:DeleteFunction", Fixtures.function),
        ("lambda:GetPolicy", "arn:aws:lambda:us-east-1:111122223333:function:secret-x"),
    ])
    func sameDecision(action: String, resource resourceARN: String) {
        for principal in [Fixtures.ci, Fixtures.partner, .accountRoot(Fixtures.account), .service("s3.amazonaws.com")] {
            let request = Fixtures.request(principal, action, resource: resourceARN)
            let evaluated = PolicyEvaluator.evaluate(request, identityPolicies: [identity], resourcePolicy: resource)
            let simulated = PolicyEvaluator.simulate(request, identityPolicies: [identity], resourcePolicy: resource)
            #expect(simulated.decision == evaluated, "\(principal) \(action)")
        }
    }
}
