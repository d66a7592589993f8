import Foundation
import Testing
@testable import CorralPolicy

/// The readers behind Date, Numeric and IP conditions, and the context that supplies request values.
@Suite struct ConditionValueTests {
    @Test("ISO 8601 dates in every accepted form, and epoch seconds")
    func dates() {
        #expect(PolicyDate.seconds("2024-05-01T00:00:00Z") == 1_714_521_600)
        #expect(PolicyDate.seconds("2024-05-01") == 1_714_521_600)
        #expect(PolicyDate.seconds("2024-05") == 1_714_521_600)
        #expect(PolicyDate.seconds("2024-06") == 1_717_200_000)
        #expect(PolicyDate.seconds("2024-05-01T00:00Z") == 1_714_521_600)
        #expect(PolicyDate.seconds("2024-05-01T00:00:00") == 1_714_521_600)
        #expect(PolicyDate.seconds("2024-05-01T00:00:00.250Z") == 1_714_521_600.25)
        #expect(PolicyDate.seconds("2024-05-01T05:30:00+05:30") == 1_714_521_600)
        #expect(PolicyDate.seconds("2024-05-01T05:30:00+0530") == 1_714_521_600)
        #expect(PolicyDate.seconds("2024-04-30T19:00:00-05") == 1_714_521_600)
        #expect(PolicyDate.seconds("2000-02-29T12:30:00Z") == 951_827_400)
        #expect(PolicyDate.seconds("1714521600") == 1_714_521_600)
        #expect(PolicyDate.seconds("1714521600.5") == 1_714_521_600.5)
        for bad in ["", "2024-13-01", "2023-02-29", "2024-05-01T24:00:00Z", "2024-05-01T12:60Z", "2024-05-01 12:00:00Z",
                    "2024-05-01T12:00:00+25:00", "2024-05-01T12:00:00ZZ", "05/01/2024", "1714521600s", "2024-05-01T12"] {
            #expect(PolicyDate.seconds(bad) == nil, "\(bad)")
        }
    }

    @Test("dates are written in ISO 8601 UTC with whole seconds")
    func formatting() {
        #expect(PolicyDate.iso8601(Date(timeIntervalSince1970: 1_714_521_600.9)) == "2024-05-01T00:00:00Z")
        #expect(PolicyDate.iso8601(Date(timeIntervalSince1970: 951_827_400)) == "2000-02-29T12:30:00Z")
        #expect(PolicyDate.iso8601(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(PolicyDate.iso8601(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }

    @Test("numbers are decimal only")
    func numbers() {
        #expect(PolicyCondition.number("10") == 10)
        #expect(PolicyCondition.number("-2.5") == -2.5)
        #expect(PolicyCondition.number("+3") == 3)
        #expect(PolicyCondition.number(".5") == 0.5)
        #expect(PolicyCondition.number("1e3") == 1000)
        for bad in ["", "-", "1.2.3", "inf", "nan", "0x10", "1e", "ten", " 1", "1 "] {
            #expect(PolicyCondition.number(bad) == nil, "\(bad)")
        }
    }

    @Test("CIDR blocks: IPv4, IPv6 with ::, embedded IPv4, host bits, bare addresses")
    func cidr() throws {
        let v4 = try #require(IPAddressRange(cidr: "203.0.113.7/24"))
        #expect(v4.contains("203.0.113.255") == true)
        #expect(v4.contains("203.0.112.1") == false)
        #expect(v4.contains("::ffff:203.0.113.9") == true)
        #expect(v4.contains("2001:db8::1") == false)
        #expect(v4.contains("203.0.113") == nil)
        let v6 = try #require(IPAddressRange(cidr: "2001:DB8:1234:5678::/64"))
        #expect(v6.contains("2001:db8:1234:5678:ffff:ffff:ffff:ffff") == true)
        #expect(v6.contains("2001:db8:1234:5600::") == false)
        #expect(v6.contains("203.0.113.7") == false)
        #expect(try #require(IPAddressRange(cidr: "10.1.2.3")).prefixLength == 32)
        #expect(try #require(IPAddressRange(cidr: "fe80::1")).prefixLength == 128)
        #expect(try #require(IPAddressRange(cidr: "0.0.0.0/0")).contains("255.255.255.255") == true)
        #expect(try #require(IPAddressRange(cidr: "::ffff:10.0.0.0/104")).contains("::ffff:10.9.9.9") == true)
        #expect(try #require(IPAddressRange(cidr: "10.0.0.0/9")).contains("10.128.0.1") == false)
        #expect(try #require(IPAddressRange(cidr: "10.0.0.0/9")).contains("10.127.0.1") == true)
        for bad in ["", "10.0.0", "10.0.0.256", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/-1", "::1/129", "1:2:3:4:5:6:7:8:9",
                    "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7", "fe80::1%eth0", "10.0.0.1/a"] {
            #expect(IPAddressRange(cidr: bad) == nil, "\(bad)")
        }
    }

    @Test("the context's convenience setters write the well-known keys, case-insensitively")
    func context() {
        var context = ConditionContext()
        context.sourceIp = "203.0.113.7"
        context.principalAccount = "111122223333"
        context.principalArn = Fixtures.user
        context.username = "ci"
        context.userid = "AIDAEXAMPLE"
        context.functionArn = Fixtures.function
        context.setRequestTime(Date(timeIntervalSince1970: 1_714_521_600))
        context["custom:Key"] = "v"
        #expect(context.values(for: "AWS:SOURCEIP") == ["203.0.113.7"])
        #expect(context["aws:principalaccount"] == "111122223333")
        #expect(context["aws:PrincipalArn"] == Fixtures.user)
        #expect(context["AWS:UserName"] == "ci")
        #expect(context["aws:userid"] == "AIDAEXAMPLE")
        #expect(context["Lambda:FunctionArn"] == Fixtures.function)
        #expect(context["aws:CurrentTime"] == "2024-05-01T00:00:00Z")
        #expect(context["aws:EpochTime"] == "1714521600")
        #expect(context["CUSTOM:key"] == "v")
        #expect(context.keys.contains("custom:Key"))
        context.sourceIp = nil
        #expect(!context.contains("aws:SourceIp"))
        #expect(ConditionContext(["a": ["1", "2"], "b": []]).values(for: "A") == ["1", "2"])
        #expect(!ConditionContext(["b": []]).contains("b"))
    }
}
