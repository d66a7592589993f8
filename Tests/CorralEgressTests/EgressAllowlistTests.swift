import NIOCore
import Testing

@testable import CorralEgress

@Suite struct EgressAllowlistTests {
    private func allowlist(_ patterns: String...) throws -> EgressAllowlist {
        try EgressAllowlist(patterns)
    }

    @Test func anExactPatternAllowsItsHostAndPortOnly() throws {
        let list = try allowlist("api.example.com:443")
        #expect(list.allows(host: "api.example.com", port: 443))
        #expect(!list.allows(host: "api.example.com", port: 80))
        #expect(!list.allows(host: "www.example.com", port: 443))
        #expect(!list.allows(host: "example.com", port: 443))
        #expect(!list.allows(host: "api.example.com.evil.org", port: 443))
    }

    @Test func anEmptyAllowlistAllowsNothing() throws {
        #expect(try allowlist().isEmpty)
        #expect(!(try allowlist()).allows(host: "127.0.0.1", port: 80))
        #expect(!EgressAllowlist.none.allows(host: "localhost", port: 443))
    }

    @Test func anyPatternThatMatchesAllows() throws {
        let list = try allowlist("a.example.com:1", "b.example.com:2")
        #expect(list.allows(host: "a.example.com", port: 1))
        #expect(list.allows(host: "b.example.com", port: 2))
        #expect(!list.allows(host: "a.example.com", port: 2))
    }

    @Test func hostNamesCompareCaseInsensitively() throws {
        let list = try allowlist("LOCALHOST:8080", "Api.Example.COM:443")
        #expect(list.allows(host: "localhost", port: 8080))
        #expect(list.allows(host: "LocalHost", port: 8080))
        #expect(list.allows(host: "API.example.com", port: 443))
    }

    @Test func starMatchesAnyRunAndQuestionMarkOneCharacter() throws {
        let list = try allowlist("*.example.com:443", "svc-?.internal:808?")
        #expect(list.allows(host: "api.example.com", port: 443))
        #expect(list.allows(host: "a.b.example.com", port: 443))
        #expect(!list.allows(host: "example.com", port: 443))
        #expect(!list.allows(host: "example.com.evil.org", port: 443))
        #expect(list.allows(host: "svc-1.internal", port: 8080))
        #expect(list.allows(host: "svc-x.internal", port: 8089))
        #expect(!list.allows(host: "svc-10.internal", port: 8080))
        #expect(!list.allows(host: "svc-1.internal", port: 808))
        #expect(!list.allows(host: "svc-1.internal", port: 8090))
    }

    @Test func aWildcardHostMatchesNamesOnly() throws {
        // As docs/policies.md says: `*` is any name; addresses are granted by address.
        let list = try allowlist("*:8080")
        #expect(list.allows(host: "example.com", port: 8080))
        #expect(!list.allows(host: "192.0.2.3", port: 8080))
        #expect(!list.allows(host: "[2001:db8::3]", port: 8080))
        #expect(!list.allows(host: "example.com", port: 8081))
    }

    @Test func aWildcardPortAllowsEveryValidPort() throws {
        let list = try allowlist("192.0.2.*:*")
        #expect(list.allows(host: "192.0.2.1", port: 1))
        #expect(list.allows(host: "192.0.2.254", port: 65535))
        #expect(!list.allows(host: "192.0.2.1", port: 0))
        #expect(!list.allows(host: "192.0.2.1", port: 65536))
        #expect(!list.allows(host: "192.0.3.1", port: 80))
    }

    @Test func anAddressPatternNeverMatchesANameThatLooksLikeIt() throws {
        // DNS decides where 127.0.0.1.example.com goes: an address grant must not cover it.
        let list = try allowlist("127.0.0.*:*", "10.*:443")
        #expect(!list.allows(host: "127.0.0.1.example.com", port: 80))
        #expect(!list.allows(host: "10.0.0.1.nip.io", port: 443))
        #expect(list.allows(host: "10.9.8.7", port: 443))
    }

    @Test func aNamePatternNeverMatchesAnAddress() throws {
        let list = try allowlist("*a*:*")
        #expect(list.allows(host: "example.com", port: 80))
        #expect(!list.allows(host: "::a", port: 80))
        #expect(!list.allows(host: "[fe80::a]", port: 80))
    }

    @Test func hostsAResolverWouldReadAsAnotherAddressAreNeverAllowed() throws {
        let list = try allowlist("*:*", "1*:*", "[*]:*")
        #expect(list.allows(host: "192.0.2.1", port: 80) && list.allows(host: "example.com", port: 80))
        for host in ["127.1", "2130706433", "0x7f.1", "0x7f000001", "127.000.000.001", "017700000001", "1.2.3.4.5"] {
            #expect(!list.allows(host: host, port: 80), "\(host)")
        }
        for host in ["", "exa mple.com", "a..b", ".example.com", "example.com.", "fe80::1%eth0", "[::1", "ex@mple.com", "bücher.de"] {
            #expect(!list.allows(host: host, port: 80), "\(host)")
        }
    }

    @Test func ipv6PatternsMatchTheCanonicalForm() throws {
        let list = try allowlist("[::1]:443", "[2001:DB8::*]:*")
        #expect(list.allows(host: "::1", port: 443))
        #expect(list.allows(host: "[::1]", port: 443))
        #expect(list.allows(host: "[0:0:0:0:0:0:0:1]", port: 443))
        #expect(!list.allows(host: "127.0.0.1", port: 443))
        #expect(list.allows(host: "2001:db8::5", port: 1))
        #expect(list.allows(host: "2001:0db8:0:0:0:0:0:5", port: 1))
        #expect(!list.allows(host: "2001:db9::5", port: 1))
        #expect(!list.allows(host: "::ffff:127.0.0.1", port: 443))
    }

    @Test func aBracketedWildcardMatchesIPv6Only() throws {
        let list = try allowlist("[*]:443")
        #expect(list.allows(host: "2001:db8::1", port: 443))
        #expect(!list.allows(host: "example.com", port: 443))
        #expect(!list.allows(host: "127.0.0.1", port: 443))
    }

    @Test func dotsAndWildcardsAloneMatchNamesOnly() throws {
        let list = try allowlist("*.*:80")
        #expect(list.allows(host: "example.com", port: 80))
        #expect(!list.allows(host: "192.0.2.1", port: 80))
        #expect(!list.allows(host: "localhost", port: 80))
    }

    /// Issue 14 item 4: with wide grants, no spelling of an internal address is let through; only a grant
    /// naming the address and port exactly reaches it. The oracle: the same list allows public addresses.
    @Test func internalAddressesNeedAnExactGrantWhateverTheSpelling() throws {
        let wide = try allowlist("*:*", "1*:*", "[*]:*", "127.0.0.*:*", "169.254.*:*", "[fe80::*]:*", "[fd00:ec2::*]:*", "[::ffff:*]:*", "127.0.0.1:*")
        #expect(wide.allows(host: "192.0.2.1", port: 80) && wide.allows(host: "[2001:db8::1]", port: 80), "the oracle")
        let spellings = [
            "127.0.0.1", "127.5.6.7", "[::1]", "[0:0:0:0:0:0:0:1]",
            "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:7f00:0001]", "[::127.0.0.1]", "[::7f00:1]",
            "0.0.0.0", "0.1.2.3", "[::]", "[::ffff:0.0.0.0]", "[::0.0.0.2]",
            "169.254.169.254", "169.254.1.1", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "[fe80::1]", "[fd00:ec2::254]",
        ]
        for host in spellings {
            #expect(!wide.allows(host: host, port: 80), "\(host)")
        }
        // The host's own interface addresses (other than loopback) are internal too.
        let own = HostInterfaces.read().filter { $0.count == 4 ? $0[0] != 127 : $0 != Array(repeating: 0, count: 15) + [1] }
        for bytes in own {
            let text = bytes.count == 4 ? bytes.map(String.init).joined(separator: ".")
                : "[" + (try SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0)).ipAddress! + "]"
            #expect(!wide.allows(host: text, port: 80), "the host's own \(text)")
            #expect(try allowlist("\(text):80").allows(host: text, port: 80), "an exact grant of \(text)")
        }

        let exact = try allowlist("127.0.0.1:8080", "[::ffff:169.254.169.254]:80", "[::1]:443")
        for host in ["127.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]"] {
            #expect(exact.allows(host: host, port: 8080), "\(host) is 127.0.0.1")
            #expect(!exact.allows(host: host, port: 8081), "\(host), another port")
        }
        #expect(exact.allows(host: "169.254.169.254", port: 80), "a bracketed mapped grant is the IPv4 address")
        #expect(exact.allows(host: "[::1]", port: 443) && !exact.allows(host: "127.0.0.1", port: 443))
        #expect(EgressHost("[::ffff:7f00:1]") == .ipv4("127.0.0.1"))
        #expect(EgressHost("[::ffff:8.8.8.8]") == .ipv4("8.8.8.8"))
        #expect(EgressHost("[::1]") == .ipv6("::1") && EgressHost("[::]") == .ipv6("::"))
    }

    @Test func theUnspecifiedAddressIsNoDestination() throws {
        for pattern in ["0.0.0.0:80", "0.1.2.3:80", "[::]:80", "[::ffff:0.0.0.0]:80", "[0:0:0:0:0:0:0:0]:80"] {
            #expect(throws: EgressPatternError.self, "\(pattern)") { try EgressPattern(pattern) }
        }
        #expect(!(try allowlist("0.*:*", "*:*")).allows(host: "0.0.0.0", port: 80))
    }

    @Test(arguments: [
        ("", "empty pattern"),
        ("example.com", "missing \":PORT\""),
        (":443", "empty host"),
        ("example.com:", "empty port"),
        ("example.com:https", "must be digits"),
        ("example.com:65536", "above 65535"),
        ("example.com:123456", "above 65535"),
        ("example.com:1234567*", "above 65535"),
        ("example.com:0", "port 0"),
        ("example.com:0443", "leading zero"),
        ("::1:443", "in brackets"),
        ("[::1]443", "expected \":PORT\""),
        ("[::1:443", "without \"]\""),
        ("[]:443", "empty host"),
        ("[zz::1]:443", "hexadecimal"),
        ("[1:2:3]:443", "not an IPv6 address"),
        ("300.1.2.3:80", "not an IPv4 address"),
        ("1.2.3:80", "not an IPv4 address"),
        ("example.123:80", "not a host name"),
        ("a..b.com:80", "empty label"),
        (".example.com:80", "empty label"),
        ("example.com.:80", "empty label"),
        ("ex@mple.com:80", "contains \"@\""),
        ("exa mple.com:80", "printable ASCII"),
        ("bücher.de:80", "printable ASCII"),
    ])
    func invalidPatternsAreRefusedWithAMessageNamingThem(pattern: String, reason: String) {
        #expect {
            try EgressPattern(pattern)
        } throws: { error in
            guard let error = error as? EgressPatternError else { return false }
            return error.pattern == pattern && error.reason.contains(reason) && "\(error)".contains("\"\(pattern)\"")
        }
    }

    @Test func theAllowlistReportsTheFirstBadPattern() {
        #expect(throws: EgressPatternError.self) { try EgressAllowlist(["ok.example.com:443", "bad:port", "also bad"]) }
        do {
            _ = try EgressAllowlist(["ok.example.com:443", "bad:port"])
        } catch {
            #expect(error.pattern == "bad:port")
        }
    }

    @Test func globMatchesWholeStrings() {
        func glob(_ pattern: String, _ text: String) -> Bool { EgressPattern.glob(Array(pattern.utf8), matches: Array(text.utf8)) }
        #expect(glob("a*b*c", "aXXbYc"))
        #expect(glob("a*b*c", "abc"))
        #expect(!glob("a*b*c", "abcd"))
        #expect(!glob("a*b*c", "ab"))
        #expect(glob("*", ""))
        #expect(!glob("?", ""))
        #expect(glob("??", "ab"))
        #expect(glob("*a", "banana"))
        #expect(!glob("*n", "banana"))
        #expect(glob("**x", "x"))
    }
}
