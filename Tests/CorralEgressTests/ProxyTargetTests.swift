import Testing

@testable import CorralEgress

@Suite struct ProxyTargetTests {
    @Test func connectTakesHostAndPort() throws {
        let target = try ProxyTarget.connect("Example.COM:443")
        #expect(target.host == .name("example.com"))
        #expect(target.port == 443)
        #expect(target.path == nil)
        #expect(target.destination == "example.com:443")
        #expect(try ProxyTarget.connect("[::1]:8443").host == .ipv6("::1"))
        #expect(try ProxyTarget.connect("[::1]:8443").destination == "[::1]:8443")
        #expect(try ProxyTarget.connect("10.0.0.1:22").host == .ipv4("10.0.0.1"))
    }

    @Test(arguments: [
        "example.com", "user@example.com:443", "user:pw@example.com:443", "::1:443", "[::1]", "example.com:",
        "example.com:0", "example.com:65536", "example.com:+443", "example.com:-1", "example.com:44 3",
        "127.1:80", "2130706433:80", "[::1]x:80", "[fe80::1%25eth0]:80", ":443", "",
    ])
    func connectRefusesAnythingAmbiguous(_ uri: String) {
        #expect(throws: ProxyTarget.Malformed.self) { try ProxyTarget.connect(uri) }
    }

    @Test func absoluteURIsBecomeOriginForm() throws {
        let target = try ProxyTarget.absolute("http://example.com/a/b?c=d")
        #expect(target.host == .name("example.com"))
        #expect(target.port == 80)
        #expect(target.path == "/a/b?c=d")
        #expect(target.hostHeader == "example.com")
        #expect(try ProxyTarget.absolute("http://example.com").path == "/")
        #expect(try ProxyTarget.absolute("http://example.com?x=1").path == "/?x=1")
        #expect(try ProxyTarget.absolute("http://example.com/p#frag").path == "/p")
        let explicit = try ProxyTarget.absolute("HTTP://127.0.0.1:8080/")
        #expect(explicit.host == .ipv4("127.0.0.1"))
        #expect(explicit.port == 8080)
        #expect(explicit.hostHeader == "127.0.0.1:8080")
        #expect(try ProxyTarget.absolute("http://[::1]:81/").hostHeader == "[::1]:81")
    }

    @Test(arguments: [
        "/relative", "*", "https://example.com/", "ftp://example.com/", "http://user@example.com/",
        "http://user:pw@example.com/", "http:///path", "http://example.com:/", "http://example.com:x/",
        "http://127.1/", "http://::1/", "http://exa%6Dple.com/", "http://example.com\\@evil.com/",
    ])
    func absoluteRefusesAnythingElse(_ uri: String) {
        #expect(throws: ProxyTarget.Malformed.self) { try ProxyTarget.absolute(uri) }
    }
}
