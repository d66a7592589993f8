import Foundation
import Testing
@testable import CorralPolicy

@Suite struct PolicyParsingTests {
    @Test("a full identity policy parses into its statements")
    func identityPolicy() throws {
        let document = try Fixtures.identity(#"""
        {
          "Version": "2012-10-17",
          "Id": "ci-deployer",
          "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["lambda:Get*", "lambda:List*"], "Resource": "*"},
            {"Effect": "Deny", "NotAction": "lambda:InvokeFunction",
             "NotResource": ["arn:aws:lambda:us-east-1:111122223333:function:a", "arn:aws:lambda:us-east-1:111122223333:function:b"],
             "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8::/32"]}}}
          ]
        }
        """#)
        #expect(document.version == "2012-10-17")
        #expect(document.id == "ci-deployer")
        #expect(document.statements.count == 2)
        let read = document.statements[0]
        #expect(read.sid == "Read" && read.effect == .allow && read.principal == nil)
        #expect(read.actions == .listed(["lambda:Get*", "lambda:List*"]))
        #expect(read.resources == .listed(["*"]))
        let deny = document.statements[1]
        #expect(deny.sid == nil && deny.effect == .deny)
        #expect(deny.actions == .negated(["lambda:InvokeFunction"]))
        #expect(deny.resources.isNegated && deny.resources.value.count == 2)
        #expect(deny.conditions == [PolicyCondition(ConditionOperator(.ipAddress), key: "aws:SourceIp",
                                                    values: ["203.0.113.0/24", "2001:DB8::/32"])])
    }

    @Test("Statement may be a single object; Version may be 2008-10-17 or absent")
    func statementForms() throws {
        let single = try Fixtures.identity(#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)
        #expect(single.version == "2008-10-17" && single.statements.count == 1 && !single.hasPolicyVariables)
        let unversioned = try Fixtures.identity(#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#)
        #expect(unversioned.version == nil && !unversioned.hasPolicyVariables)
        #expect(try Fixtures.identity(Fixtures.statementJSON(#""Action":"*","Resource":"*""#)).hasPolicyVariables)
    }

    @Test("every principal form parses; a bare account id becomes the account's root ARN")
    func principalForms() throws {
        func principal(_ json: String) throws -> ElementMatch<PolicyPrincipal>? {
            try Fixtures.resource(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":\#(json),"Action":"*","Resource":"*"}]}"#)
                .statements[0].principal
        }
        #expect(try principal(#""*""#) == .listed(.anyone))
        #expect(try principal(#"{"AWS":"123456789012"}"#) == .listed(.listed([PrincipalEntry(.aws, ["arn:aws:iam::123456789012:root"])])))
        #expect(try principal(#"{"AWS":["arn:aws:iam::123456789012:user/bob","*"]}"#)
            == .listed(.listed([PrincipalEntry(.aws, ["arn:aws:iam::123456789012:user/bob", "*"])])))
        #expect(try principal(#"{"Service":["s3.amazonaws.com","sns.amazonaws.com"],"AWS":"111122223333"}"#)
            == .listed(.listed([PrincipalEntry(.service, ["s3.amazonaws.com", "sns.amazonaws.com"]),
                                PrincipalEntry(.aws, ["arn:aws:iam::111122223333:root"])])))
        #expect(try principal(#"{"Federated":"cognito-identity.amazonaws.com"}"#)
            == .listed(.listed([PrincipalEntry(.federated, ["cognito-identity.amazonaws.com"])])))
        #expect(try principal(#"{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#)?.value
            == .listed([PrincipalEntry(.canonicalUser, ["79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"])]))
        let deny = try Fixtures.resource(#"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:role/r"},"Action":"*","Resource":"*"}}"#)
        #expect(deny.statements[0].principal == .negated(.listed([PrincipalEntry(.aws, ["arn:aws:iam::1:role/r"])])))
    }

    @Test("condition values may be strings, numbers or booleans and become the strings AWS compares")
    func conditionValues() throws {
        let document = try Fixtures.identity(Fixtures.statementJSON(#"""
        "Action":"*","Resource":"*","Condition":{
          "NumericLessThanEquals":{"s3:max-keys":10, "x:ratio":[1.50, "2"]},
          "Bool":{"aws:SecureTransport":true},
          "forallvalues:stringlikeifexists":{"aws:TagKeys":["env*","team"]},
          "Null":{"aws:TokenIssueTime":false}}
        """#))
        let conditions = document.statements[0].conditions
        #expect(conditions.map(\.values) == [["10"], ["1.50", "2"], ["true"], ["env*", "team"], ["false"]])
        #expect(conditions.map(\.key) == ["s3:max-keys", "x:ratio", "aws:SecureTransport", "aws:TagKeys", "aws:TokenIssueTime"])
        #expect(conditions[3].conditionOperator == ConditionOperator(.stringLike, ifExists: true, qualifier: .forAllValues))
        #expect(conditions[3].conditionOperator.name == "ForAllValues:StringLikeIfExists")
    }

    @Test("every operator name, with each qualifier and IfExists, is recognised and written back")
    func operatorNames() {
        for base in ConditionOperator.Base.allCases {
            for qualifier in [nil, ConditionOperator.SetQualifier.forAnyValue, .forAllValues] {
                for ifExists in base == .null ? [false] : [false, true] {
                    let conditionOperator = ConditionOperator(base, ifExists: ifExists, qualifier: qualifier)
                    #expect(ConditionOperator(name: conditionOperator.name) == conditionOperator)
                    #expect(ConditionOperator(name: conditionOperator.name.uppercased()) == conditionOperator)
                }
            }
        }
        #expect(ConditionOperator(name: "NullIfExists") == nil)
        #expect(ConditionOperator(name: "ForSomeValues:StringEquals") == nil)
        #expect(ConditionOperator(name: "StringEqualz") == nil)
        #expect(ConditionOperator(name: "IfExists") == nil)
    }

    @Test("json() writes keys in a fixed order and single-element lists as the element")
    func compactJSON() throws {
        let document = try Fixtures.resource(#"""
        {"Statement": [{"Condition": {"ArnLike": {"AWS:SourceArn": ["arn:aws:s3:::b"]}, "StringEquals": {"AWS:SourceAccount": 123456789012}},
          "Resource": ["arn:aws:lambda:us-east-1:111122223333:function:f"], "Action": ["lambda:InvokeFunction", "lambda:GetFunction"],
          "Principal": {"Service": ["s3.amazonaws.com"]}, "Effect": "Allow", "Sid": "s3"}],
         "Id": "default", "Version": "2012-10-17"}
        """#)
        #expect(document.json() == #"{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s3","Effect":"Allow","#
            + #""Principal":{"Service":"s3.amazonaws.com"},"Action":["lambda:InvokeFunction","lambda:GetFunction"],"#
            + #""Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","#
            + #""Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}}]}"#)
    }

    @Test("parse(json()) gives back an equal document")
    func roundTrip() throws {
        let texts = [
            #"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/a"]},"NotAction":"lambda:Get*","NotResource":"arn:aws:lambda:*:*:function:x","Condition":{"ForAnyValue:StringNotLikeIfExists":{"aws:TagKeys":["a*","b?"]},"DateGreaterThan":{"aws:CurrentTime":"2024-05-01T00:00:00Z"},"Bool":{"aws:SecureTransport":false}}}}"#,
            #"{"Id":"x","Statement":[{"Sid":"1","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"2","Effect":"Allow","Principal":{"Federated":"f","CanonicalUser":"c"},"Action":["a:b","c:d"],"Resource":["*"],"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"NumericEquals":{"n":[1,2.5]},"BinaryEquals":{"b":"AQID"},"Null":{"k":"true"}}}]}"#,
        ]
        for text in texts {
            let document = try Fixtures.resource(text)
            let again = try Fixtures.resource(document.json())
            #expect(again == document)
            #expect(again.json() == document.json())
        }
    }

    @Test("whitespace does not count toward the identity policy's character limit")
    func identityLimitIgnoresWhitespace() throws {
        let padded = Fixtures.statementJSON(#""Action":"*","Resource":"*""#).replacingOccurrences(of: ",", with: String(repeating: " ", count: 3_000) + ",")
        #expect(padded.count > PolicyDocument.maximumIdentityPolicyCharacters)
        #expect(try Fixtures.identity(padded).statements.count == 1)
    }
}
