import Testing
@testable import CorralPolicy

/// Each operator once true and once false, with the request value first and the policy values after.
@Suite struct ConditionOperatorTests {
    private func check(_ name: String, _ requestValue: String, _ policyValues: [String]) -> Truth? {
        Fixtures.condition(name, "test:key", policyValues, Fixtures.context("test:key", requestValue))
    }

    @Test("String operators")
    func strings() {
        #expect(check("StringEquals", "abc", ["abc"]) == .yes)
        #expect(check("StringEquals", "ABC", ["abc"]) == .no)
        #expect(check("StringEquals", "a*", ["a*"]) == .yes)
        #expect(check("StringEquals", "abc", ["a*"]) == .no)
        #expect(check("StringNotEquals", "abc", ["x", "y"]) == .yes)
        #expect(check("StringNotEquals", "abc", ["x", "abc"]) == .no)
        #expect(check("StringEqualsIgnoreCase", "ABC", ["abc"]) == .yes)
        #expect(check("StringEqualsIgnoreCase", "abd", ["abc"]) == .no)
        #expect(check("StringNotEqualsIgnoreCase", "ABC", ["abc"]) == .no)
        #expect(check("StringNotEqualsIgnoreCase", "xyz", ["abc"]) == .yes)
        #expect(check("StringLike", "home/alice/x", ["home/*/x"]) == .yes)
        #expect(check("StringLike", "Home/alice/x", ["home/*/x"]) == .no)
        #expect(check("StringLike", "a1", ["a?"]) == .yes)
        #expect(check("StringLike", "a12", ["a?"]) == .no)
        #expect(check("StringNotLike", "prod-db", ["dev-*", "test-*"]) == .yes)
        #expect(check("StringNotLike", "dev-db", ["dev-*", "test-*"]) == .no)
    }

    @Test("Numeric operators compare as numbers, integers and decimals alike")
    func numbers() {
        #expect(check("NumericEquals", "10", ["10.0"]) == .yes)
        #expect(check("NumericEquals", "11", ["10"]) == .no)
        #expect(check("NumericNotEquals", "11", ["10"]) == .yes)
        #expect(check("NumericNotEquals", "10", ["10"]) == .no)
        #expect(check("NumericLessThan", "9", ["10"]) == .yes)
        #expect(check("NumericLessThan", "10", ["10"]) == .no)
        #expect(check("NumericLessThanEquals", "10", ["10"]) == .yes)
        #expect(check("NumericLessThanEquals", "10.5", ["10"]) == .no)
        #expect(check("NumericGreaterThan", "1e2", ["99"]) == .yes)
        #expect(check("NumericGreaterThan", "-1", ["0"]) == .no)
        #expect(check("NumericGreaterThanEquals", "10", ["10"]) == .yes)
        #expect(check("NumericGreaterThanEquals", "9.99", ["10"]) == .no)
        #expect(check("NumericEquals", "ten", ["10"]) == .undecided)
    }

    @Test("Date operators take ISO 8601 (with or without fractions and zones) and epoch seconds")
    func dates() {
        let midnight = "2024-05-01T00:00:00Z"
        #expect(check("DateEquals", midnight, ["1714521600"]) == .yes)
        #expect(check("DateEquals", "1714521600", ["2024-05-01T02:00:00.000+02:00"]) == .yes)
        #expect(check("DateEquals", "2024-05-01T00:00:00.5Z", [midnight]) == .no)
        #expect(check("DateNotEquals", midnight, ["2024-05-02"]) == .yes)
        #expect(check("DateNotEquals", midnight, ["2024-05-01"]) == .no)
        #expect(check("DateLessThan", "2024-04-30T23:59:59Z", [midnight]) == .yes)
        #expect(check("DateLessThan", midnight, [midnight]) == .no)
        #expect(check("DateLessThanEquals", "1714521600", [midnight]) == .yes)
        #expect(check("DateLessThanEquals", "1714521601", [midnight]) == .no)
        #expect(check("DateGreaterThan", "2024-05-01T00:00:00.001Z", [midnight]) == .yes)
        #expect(check("DateGreaterThan", "2024-04-30T20:00:00-04:00", [midnight]) == .no)
        #expect(check("DateGreaterThanEquals", "2024-04-30T20:00:00-04:00", [midnight]) == .yes)
        #expect(check("DateGreaterThanEquals", "2024-04-30T23:59Z", [midnight]) == .no)
        #expect(check("DateEquals", "yesterday", [midnight]) == .undecided)
    }

    @Test("Bool compares true and false, in any case")
    func booleans() {
        #expect(check("Bool", "true", ["true"]) == .yes)
        #expect(check("Bool", "TRUE", ["true"]) == .yes)
        #expect(check("Bool", "false", ["true"]) == .no)
        #expect(check("Bool", "maybe", ["true"]) == .undecided)
    }

    @Test("BinaryEquals compares the decoded bytes")
    func binary() {
        #expect(check("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="]) == .yes)
        #expect(check("BinaryEquals", "AQID", ["AQIE"]) == .no)
        #expect(check("BinaryEquals", "%%%", ["AQID"]) == .undecided)
    }

    @Test("IpAddress and NotIpAddress take IPv4 and IPv6 CIDR blocks and bare addresses")
    func addresses() {
        #expect(check("IpAddress", "203.0.113.7", ["203.0.113.0/24"]) == .yes)
        #expect(check("IpAddress", "203.0.114.1", ["203.0.113.0/24"]) == .no)
        #expect(check("IpAddress", "2001:db8:1234:5678::1", ["2001:DB8:1234:5678::/64"]) == .yes)
        #expect(check("IpAddress", "2001:db8:1234:5679::1", ["2001:DB8:1234:5678::/64"]) == .no)
        #expect(check("IpAddress", "10.0.0.1", ["10.0.0.1"]) == .yes)
        #expect(check("IpAddress", "10.0.0.2", ["10.0.0.1"]) == .no)
        #expect(check("IpAddress", "::1", ["::1"]) == .yes)
        #expect(check("IpAddress", "::2", ["::1"]) == .no)
        #expect(check("IpAddress", "203.0.113.7", ["2001:db8::/32", "203.0.113.0/24"]) == .yes)
        #expect(check("IpAddress", "not an address", ["10.0.0.0/8"]) == .undecided)
        #expect(check("NotIpAddress", "198.51.100.1", ["203.0.113.0/24"]) == .yes)
        #expect(check("NotIpAddress", "203.0.113.200", ["203.0.113.0/24"]) == .no)
        #expect(check("NotIpAddress", "2001:db8::1", ["2001:db8::/32"]) == .no)
    }

    @Test("ARN operators: Equals and Like behave alike, the Not forms negate, * stays within a part")
    func arns() {
        let topic = "arn:aws:sns:us-east-1:111122223333:topic"
        for name in ["ArnEquals", "ArnLike"] {
            #expect(check(name, topic, ["arn:aws:sns:*:111122223333:*"]) == .yes)
            #expect(check(name, topic, ["arn:aws:sns:*:444455556666:*"]) == .no)
            #expect(check(name, "arn:aws:sns:us-east-1:444455556666:x:111122223333:topic", ["arn:aws:sns:*:111122223333:topic"]) == .no)
        }
        for name in ["ArnNotEquals", "ArnNotLike"] {
            #expect(check(name, topic, ["arn:aws:sns:*:444455556666:*"]) == .yes)
            #expect(check(name, topic, ["arn:aws:sns:*:111122223333:*"]) == .no)
        }
    }

    @Test("Null: true means the key is missing, false that it is present")
    func null() {
        let present = Fixtures.context("aws:TokenIssueTime", "2024-05-01T00:00:00Z")
        #expect(Fixtures.condition("Null", "aws:TokenIssueTime", ["true"], ConditionContext()) == .yes)
        #expect(Fixtures.condition("Null", "aws:TokenIssueTime", ["true"], present) == .no)
        #expect(Fixtures.condition("Null", "aws:TokenIssueTime", ["false"], present) == .yes)
        #expect(Fixtures.condition("Null", "aws:TokenIssueTime", ["false"], ConditionContext()) == .no)
    }

    @Test("condition key names are case-insensitive")
    func keyCase() {
        #expect(Fixtures.condition("StringEquals", "AWS:SOURCEACCOUNT", ["111122223333"],
                                   Fixtures.context("aws:SourceAccount", "111122223333")) == .yes)
    }
}
