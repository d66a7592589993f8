import Testing
@testable import CorralPolicy

/// Missing keys, IfExists, set qualifiers and several values on either side.
@Suite struct ConditionSetTests {
    private let missing = ConditionContext()

    @Test("a missing key is false for plain operators and true for negated ones")
    func missingKeys() {
        for name in ["StringEquals", "StringLike", "NumericEquals", "DateLessThan", "Bool", "BinaryEquals", "IpAddress", "ArnLike", "StringEqualsIgnoreCase"] {
            #expect(Fixtures.condition(name, "absent:key", ["1"], missing) == .no, "\(name)")
        }
        for name in ["StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase", "NumericNotEquals", "DateNotEquals",
                     "NotIpAddress", "ArnNotEquals", "ArnNotLike"] {
            #expect(Fixtures.condition(name, "absent:key", ["1"], missing) == .yes, "\(name)")
        }
    }

    @Test("IfExists makes a missing key true and tests a present one as usual")
    func ifExists() {
        #expect(Fixtures.condition("StringEqualsIfExists", "ec2:InstanceType", ["t3.micro"], missing) == .yes)
        #expect(Fixtures.condition("NumericLessThanIfExists", "s3:max-keys", ["10"], missing) == .yes)
        let large = Fixtures.context("ec2:InstanceType", "m5.24xlarge")
        #expect(Fixtures.condition("StringLikeIfExists", "ec2:InstanceType", ["t3.*"], large) == .no)
        #expect(Fixtures.condition("StringLikeIfExists", "ec2:InstanceType", ["t3.*", "m5.*"], large) == .yes)
        #expect(Fixtures.condition("StringNotEqualsIfExists", "ec2:InstanceType", ["m5.24xlarge"], large) == .no)
        #expect(Fixtures.condition("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["a"], missing) == .yes)
    }

    @Test("ForAnyValue: false with no request values, true when one of one or many matches")
    func forAnyValue() {
        let name = "ForAnyValue:StringEquals"
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env"], missing) == .no)
        #expect(Fixtures.condition("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], missing) == .no)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env"], Fixtures.context("aws:TagKeys", "env")) == .yes)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env"], Fixtures.context("aws:TagKeys", "team")) == .no)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env", "cost"], Fixtures.context("aws:TagKeys", "team", "cost", "owner")) == .yes)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env", "cost"], Fixtures.context("aws:TagKeys", "team", "owner")) == .no)
    }

    @Test("ForAllValues: true with no request values, and only when every one of one or many matches")
    func forAllValues() {
        let name = "ForAllValues:StringLike"
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env*"], missing) == .yes)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env*"], Fixtures.context("aws:TagKeys", "env-name")) == .yes)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env*"], Fixtures.context("aws:TagKeys", "team")) == .no)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env*", "team"], Fixtures.context("aws:TagKeys", "env1", "team", "env2")) == .yes)
        #expect(Fixtures.condition(name, "aws:TagKeys", ["env*", "team"], Fixtures.context("aws:TagKeys", "env1", "team", "owner")) == .no)
    }

    @Test("set qualifiers with negated operators test each request value against all policy values")
    func negatedSets() {
        let tags = Fixtures.context("aws:TagKeys", "env", "team")
        #expect(Fixtures.condition("ForAllValues:StringNotEquals", "aws:TagKeys", ["owner", "cost"], tags) == .yes)
        #expect(Fixtures.condition("ForAllValues:StringNotEquals", "aws:TagKeys", ["owner", "team"], tags) == .no)
        #expect(Fixtures.condition("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], tags) == .yes)
        #expect(Fixtures.condition("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env", "team"], tags) == .no)
    }

    @Test("a negated operator with several policy values means: matches none of them")
    func negatedValues() {
        let region = { (value: String) in Fixtures.context("aws:RequestedRegion", value) }
        let allowed = ["us-east-1", "eu-west-1", "ap-south-1"]
        #expect(Fixtures.condition("StringNotEquals", "aws:RequestedRegion", allowed, region("eu-west-1")) == .no)
        #expect(Fixtures.condition("StringNotEquals", "aws:RequestedRegion", allowed, region("us-west-2")) == .yes)
        #expect(Fixtures.condition("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"], Fixtures.context("aws:SourceIp", "192.168.1.1")) == .no)
        #expect(Fixtures.condition("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"], Fixtures.context("aws:SourceIp", "8.8.8.8")) == .yes)
        #expect(Fixtures.condition("ArnNotLike", "aws:SourceArn", ["arn:aws:s3:::a*", "arn:aws:s3:::b*"], Fixtures.context("aws:SourceArn", "arn:aws:s3:::bucket")) == .no)
        #expect(Fixtures.condition("NumericNotEquals", "n", ["1", "2"], Fixtures.context("n", "3")) == .yes)
        #expect(Fixtures.condition("DateNotEquals", "d", ["2024-01-01", "2024-01-02"], Fixtures.context("d", "2024-01-02")) == .no)
    }

    @Test("several request values without a qualifier: any match for a plain operator, none for a negated one")
    func plainMultiValued() {
        let tags = Fixtures.context("aws:TagKeys", "team", "env")
        #expect(Fixtures.condition("StringEquals", "aws:TagKeys", ["env"], tags) == .yes)
        #expect(Fixtures.condition("StringEquals", "aws:TagKeys", ["owner"], tags) == .no)
        #expect(Fixtures.condition("StringNotEquals", "aws:TagKeys", ["env"], tags) == .no)
        #expect(Fixtures.condition("StringNotEquals", "aws:TagKeys", ["owner"], tags) == .yes)
    }

    @Test("a request value the operator cannot read leaves the condition undecided, unless another value decides it")
    func undecided() {
        let mixed = Fixtures.context("n", "abc", "5")
        #expect(Fixtures.condition("NumericLessThan", "n", ["10"], mixed) == .yes)
        #expect(Fixtures.condition("NumericGreaterThan", "n", ["10"], mixed) == .undecided)
        #expect(Fixtures.condition("ForAllValues:NumericLessThan", "n", ["10"], mixed) == .undecided)
        #expect(Fixtures.condition("ForAllValues:NumericGreaterThan", "n", ["10"], mixed) == .no)
        #expect(Fixtures.condition("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], Fixtures.context("aws:SourceIp", "garbage")) == .undecided)
    }

    @Test("an empty list of values removes a key, so it is missing")
    func emptyValues() {
        var context = Fixtures.context("aws:TagKeys", "a")
        context.set("aws:TagKeys", to: [])
        #expect(!context.contains("aws:TagKeys"))
        #expect(Fixtures.condition("Null", "aws:TagKeys", ["true"], context) == .yes)
    }
}
