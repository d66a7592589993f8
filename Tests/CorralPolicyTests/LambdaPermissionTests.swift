import Testing
@testable import CorralPolicy

@Suite struct LambdaPermissionTests {
    private let function = "arn:aws:lambda:us-east-2:123456789012:function:my-function"

    private func permission(_ sid: String = "sid", principal: String = "123456789012", action: String = "lambda:InvokeFunction",
                            qualifier: String? = nil) -> LambdaPermission {
        LambdaPermission(statementId: sid, action: action, principal: principal, functionArn: function, qualifier: qualifier)
    }

    /// The parameter an AddPermission call is refused for, or nil when it is accepted.
    private func refusedParameter(_ permission: LambdaPermission) -> String? {
        do {
            _ = try LambdaResourcePolicy.permissionStatement(permission)
            return nil
        } catch {
            #expect(error.kind == .invalidParameter)
            return error.path
        }
    }

    @Test("botocore's example statement comes out exactly as Lambda shows it")
    func botocoreExample() throws {
        let statement = try LambdaResourcePolicy.permissionStatement(LambdaPermission(
            statementId: "s3", action: "lambda:InvokeFunction", principal: "s3.amazonaws.com", functionArn: function,
            sourceArn: "arn:aws:s3:::my-bucket-1xpuxmplzrlbh", sourceAccount: "123456789012"))
        #expect(statement.json() == #"{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","#
            + #""Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function","#
            + #""Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket-1xpuxmplzrlbh"}}}"#)
    }

    @Test("each Principal form maps as Lambda maps it")
    func principals() throws {
        #expect(try permission(principal: "223456789012").statement().principal == .listed(.listed([PrincipalEntry(.aws, ["arn:aws:iam::223456789012:root"])])))
        #expect(try permission(principal: "*").statement().principal == .listed(.anyone))
        #expect(try permission(principal: "arn:aws:iam::223456789012:role/deployer").statement().principal
            == .listed(.listed([PrincipalEntry(.aws, ["arn:aws:iam::223456789012:role/deployer"])])))
        #expect(try permission(principal: "events.amazonaws.com").statement().principal == .listed(.listed([PrincipalEntry(.service, ["events.amazonaws.com"])])))
        #expect(try permission(principal: "223456789012").statement().json().contains(#""Principal":{"AWS":"arn:aws:iam::223456789012:root"}"#))
        #expect(try permission(principal: "*").statement().json().contains(#""Principal":"*""#))
    }

    @Test("a Qualifier is appended to the resource; the other parameters become conditions")
    func qualifierAndConditions() throws {
        #expect(try permission(qualifier: "prod").statement().resources == .listed([function + ":prod"]))
        #expect(try permission(qualifier: "7").statement().resources == .listed([function + ":7"]))
        let statement = try LambdaPermission(
            statementId: "url", action: "lambda:InvokeFunctionUrl", principal: "*", functionArn: function,
            principalOrgID: "o-a1b2c3d4e5", eventSourceToken: "token-1.x_y", functionUrlAuthType: "NONE", invokedViaFunctionUrl: true
        ).statement()
        #expect(statement.json() == #"{"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","#
            + #""Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function","#
            + #""Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5","lambda:EventSourceToken":"token-1.x_y","#
            + #""lambda:FunctionUrlAuthType":"NONE"},"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}}"#)
    }

    @Test("Action accepts lambda:<Name>, lambda:* and *")
    func actions() throws {
        #expect(try permission(action: "lambda:*").statement().actions == .listed(["lambda:*"]))
        #expect(try permission(action: "lambda:GetFunction").statement().actions == .listed(["lambda:GetFunction"]))
        #expect(try permission(action: "*").statement().actions == .listed(["*"]))
    }

    @Test("invalid parameters are refused, naming the parameter")
    func invalidParameters() {
        #expect(refusedParameter(permission("has space")) == "StatementId")
        #expect(refusedParameter(permission("")) == "StatementId")
        #expect(refusedParameter(permission(String(repeating: "a", count: 101))) == "StatementId")
        #expect(refusedParameter(permission(String(repeating: "a", count: 100))) == nil)
        #expect(refusedParameter(permission("a-b_c.d")) == nil)
        #expect(refusedParameter(permission(action: "s3:GetObject")) == "Action")
        #expect(refusedParameter(permission(action: "lambda:")) == "Action")
        #expect(refusedParameter(permission(action: "lambda:Get*")) == "Action")
        #expect(refusedParameter(permission(principal: "bob")) == "Principal")
        #expect(refusedParameter(permission(principal: "12345")) == "Principal")
        #expect(refusedParameter(permission(principal: "arn:aws:iam")) == "Principal")
        #expect(refusedParameter(permission(qualifier: "$LATEST")) == "Qualifier")
        #expect(refusedParameter(permission(qualifier: "a:b")) == "Qualifier")
        #expect(refusedParameter(LambdaPermission(statementId: "s", action: "lambda:InvokeFunction", principal: "*", functionArn: "my-function")) == "FunctionName")
        var bad = permission()
        bad.sourceAccount = "1234"
        #expect(refusedParameter(bad) == "SourceAccount")
        bad = permission()
        bad.sourceArn = "my-bucket"
        #expect(refusedParameter(bad) == "SourceArn")
        bad = permission()
        bad.principalOrgID = "org-1"
        #expect(refusedParameter(bad) == "PrincipalOrgID")
        bad = permission()
        bad.eventSourceToken = "bad token"
        #expect(refusedParameter(bad) == "EventSourceToken")
        bad = permission()
        bad.functionUrlAuthType = "BASIC"
        #expect(refusedParameter(bad) == "FunctionUrlAuthType")
    }

    @Test("a duplicate Sid is refused as a conflict; removing an unknown Sid as not found")
    func addAndRemove() throws {
        let policy = try LambdaResourcePolicy().adding(permission("a").statement()).adding(permission("b").statement())
        #expect(policy.statements.map(\.sid) == ["a", "b"])
        #expect(throws: PolicyError(.duplicateStatementId, path: "StatementId",
                                    message: "The statement id (a) provided already exists. Please provide a new statement id, or remove the existing statement.")) {
            try policy.adding(permission("a", principal: "*").statement())
        }
        #expect(throws: PolicyError(.statementNotFound, path: "StatementId", message: "Statement c is not found in resource policy.")) {
            try policy.removing(sid: "c")
        }
        let removed = try policy.removing(sid: "a")
        #expect(removed.statements.map(\.sid) == ["b"])
        #expect(removed.statement(sid: "b") != nil && removed.statement(sid: "a") == nil)
        #expect(try removed.removing(sid: "b").isEmpty)
        let anonymous = PolicyStatement(effect: .allow, principal: .listed(.anyone), actions: .listed(["lambda:*"]), resources: .listed(["*"]))
        #expect(throws: PolicyError.self) { try policy.adding(anonymous) }
    }

    @Test("json() is GetPolicy's string and parses back to the same policy")
    func getPolicy() throws {
        var example = LambdaPermission(statementId: "s3", action: "lambda:InvokeFunction", principal: "s3.amazonaws.com", functionArn: function,
                                       sourceArn: "arn:aws:s3:::my-bucket-1xpuxmplzrlbh", sourceAccount: "123456789012")
        var policy = try LambdaResourcePolicy().adding(example.statement())
        example.statementId = "xaccount"
        example.principal = "223456789012"
        example.sourceArn = nil
        example.sourceAccount = nil
        example.qualifier = "prod"
        policy = try policy.adding(example.statement())
        let json = policy.json()
        #expect(json.hasPrefix(#"{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"}"#))
        #expect(json.hasSuffix(#"{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::223456789012:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function:prod"}]}"#))
        let parsed = try LambdaResourcePolicy.parse(json)
        #expect(parsed == policy)
        #expect(parsed.json() == json)
        #expect(LambdaResourcePolicy().json() == #"{"Version":"2012-10-17","Id":"default","Statement":[]}"#)
        #expect(try LambdaResourcePolicy.parse(LambdaResourcePolicy().json()).isEmpty)
        #expect(throws: PolicyError.self) {
            try LambdaResourcePolicy.parse(#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#)
        }
    }

    @Test("the serialized policy may not grow past 20,480 bytes")
    func sizeLimit() throws {
        var policy = LambdaResourcePolicy()
        var index = 0
        var refusal: PolicyError?
        while refusal == nil {
            do {
                policy = try policy.adding(permission("statement-\(index)", principal: "arn:aws:iam::223456789012:role/\(String(repeating: "r", count: 60))").statement())
                index += 1
            } catch {
                refusal = error
            }
        }
        let error = try #require(refusal)
        #expect(error.kind == .policyLengthExceeded)
        #expect(error.path == "Policy")
        #expect(error.message.hasPrefix("The final policy size ("))
        #expect(error.message.hasSuffix(") is bigger than the limit (20480)."))
        #expect(policy.json().utf8.count <= LambdaResourcePolicy.maximumBytes)
        #expect(index > 50)
        #expect(try LambdaResourcePolicy.parse(policy.json()) == policy)
    }

    @Test("the stored policy evaluates as Lambda would: S3 may invoke only from its bucket and account")
    func evaluation() throws {
        let statement = try LambdaPermission(statementId: "s3", action: "lambda:InvokeFunction", principal: "s3.amazonaws.com", functionArn: function,
                                             sourceArn: "arn:aws:s3:::my-bucket-*", sourceAccount: "123456789012").statement()
        let policy = try LambdaResourcePolicy().adding(statement)
        let named = NamedPolicy.resource("function my-function resource policy", try LambdaResourcePolicy.parse(policy.json()).document)
        func invoke(_ context: ConditionContext, resource: String? = nil) -> Decision.Effect {
            let request = AuthorizationRequest(principal: .service("s3.amazonaws.com"), action: "lambda:InvokeFunction",
                                               resource: resource ?? function, resourceAccount: "123456789012", context: context)
            return PolicyEvaluator.evaluate(request, identityPolicies: [], resourcePolicy: named).effect
        }
        let good = ConditionContext(["aws:SourceArn": ["arn:aws:s3:::my-bucket-1xpuxmplzrlbh"], "aws:SourceAccount": ["123456789012"]])
        #expect(invoke(good) == .allow)
        #expect(invoke(ConditionContext(["aws:SourceArn": ["arn:aws:s3:::other"], "aws:SourceAccount": ["123456789012"]])) == .implicitDeny)
        #expect(invoke(ConditionContext(["aws:SourceArn": ["arn:aws:s3:::my-bucket-1"], "aws:SourceAccount": ["999999999999"]])) == .implicitDeny)
        #expect(invoke(ConditionContext()) == .implicitDeny)
        #expect(invoke(good, resource: function + ":prod") == .implicitDeny)
    }
}
