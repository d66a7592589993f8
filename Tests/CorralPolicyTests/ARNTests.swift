import Testing
@testable import CorralPolicy

@Suite struct ARNTests {
    @Test("an ARN's six parts are read, and the resource part keeps its colons and slashes")
    func parts() throws {
        let arn = try #require(ARN("arn:aws:lambda:us-east-1:111122223333:function:my-fn:prod"))
        #expect(arn.partition == "aws")
        #expect(arn.service == "lambda")
        #expect(arn.region == "us-east-1")
        #expect(arn.account == "111122223333")
        #expect(arn.resource == "function:my-fn:prod")
        #expect(arn.description == "arn:aws:lambda:us-east-1:111122223333:function:my-fn:prod")
        let object = try #require(ARN("arn:aws:s3:::bucket/path/to/key"))
        #expect(object.region.isEmpty && object.account.isEmpty && object.resource == "bucket/path/to/key")
    }

    @Test("Corral's own partition parses with empty region and account")
    func corralPartition() throws {
        let directory = try #require(ARN("arn:corral:fs:::/srv/data/*"))
        #expect(directory.partition == "corral" && directory.service == "fs" && directory.resource == "/srv/data/*")
        let endpoint = try #require(ARN("arn:corral:net:::api.example.com:443"))
        #expect(endpoint.service == "net" && endpoint.resource == "api.example.com:443")
        #expect(endpoint.description == "arn:corral:net:::api.example.com:443")
        #expect(PolicyMatching.resourceMatches("arn:corral:fs:::/srv/data/*", "arn:corral:fs:::/srv/data/a/b.txt"))
        #expect(!PolicyMatching.resourceMatches("arn:corral:fs:::/srv/data/*", "arn:corral:fs:::/srv/other"))
        #expect(PolicyMatching.arnMatches("arn:corral:net:::*.example.com:443", "arn:corral:net:::api.example.com:443"))
        #expect(!PolicyMatching.arnMatches("arn:corral:net:::api.example.com:443", "arn:corral:net:::api.example.com:80"))
    }

    @Test("text that is not an ARN is refused", arguments: [
        "", "arn", "arn:aws:s3", "arn:aws:s3:::", "arn::s3:::b", "arn:aws::::x", "urn:aws:s3:::b", "ARN:aws:s3:::b",
    ])
    func refused(_ text: String) {
        #expect(ARN(text) == nil)
    }

    @Test("account roots are built and recognised; account ids are twelve digits")
    func accountRoot() throws {
        #expect(ARN.accountRoot("123456789012").description == "arn:aws:iam::123456789012:root")
        #expect(try #require(ARN("arn:aws:iam::123456789012:root")).isAccountRoot)
        #expect(try #require(ARN("arn:aws:iam::123456789012:user/root")).isAccountRoot == false)
        #expect(ARN.isAccountID("123456789012"))
        #expect(!ARN.isAccountID("12345678901"))
        #expect(!ARN.isAccountID("12345678901a"))
        #expect(RequestPrincipal(arn: "arn:aws:iam::123456789012:user/x") == .iam(arn: "arn:aws:iam::123456789012:user/x", account: "123456789012"))
        #expect(RequestPrincipal(arn: "arn:aws:s3:::bucket") == nil)
        #expect(RequestPrincipal.accountRoot("123456789012").isAccountRoot)
        #expect(!Fixtures.ci.isAccountRoot)
    }
}
