import Testing
@testable import CorralPolicy

@Suite struct MatchingTests {
    @Test("action globs are case-insensitive and take * and ?")
    func actions() {
        #expect(PolicyMatching.actionMatches("lambda:InvokeFunction", "lambda:InvokeFunction"))
        #expect(PolicyMatching.actionMatches("LAMBDA:invokefunction", "lambda:InvokeFunction"))
        #expect(PolicyMatching.actionMatches("lambda:Get*", "lambda:GetFunctionConfiguration"))
        #expect(PolicyMatching.actionMatches("lambda:*", "lambda:DeleteFunction"))
        #expect(PolicyMatching.actionMatches("*", "s3:GetObject"))
        #expect(PolicyMatching.actionMatches("s3:?etObject", "s3:GetObject"))
        #expect(PolicyMatching.actionMatches("lambda:*Function", "lambda:invokefunction"))
        #expect(!PolicyMatching.actionMatches("lambda:Get*", "lambda:ListFunctions"))
        #expect(!PolicyMatching.actionMatches("s3:?etObject", "s3:GeetObject"))
        #expect(!PolicyMatching.actionMatches("lambda:InvokeFunction", "lambda:InvokeFunctionUrl"))
        #expect(!PolicyMatching.actionMatches("lambda:*", "s3:GetObject"))
    }

    @Test("the Resource glob is case-sensitive and its * spans slashes and colons")
    func resources() {
        #expect(PolicyMatching.resourceMatches("*", "arn:aws:s3:::bucket"))
        #expect(PolicyMatching.resourceMatches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c"))
        #expect(PolicyMatching.resourceMatches("arn:aws:lambda:*:111122223333:function:*",
                                               "arn:aws:lambda:us-east-1:111122223333:function:f:prod"))
        #expect(PolicyMatching.resourceMatches("arn:aws:lambda:us-east-1:*", "arn:aws:lambda:us-east-1:111122223333:function:f"))
        #expect(PolicyMatching.resourceMatches("arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file1.txt"))
        #expect(!PolicyMatching.resourceMatches("arn:aws:s3:::bucket/file?.txt", "arn:aws:s3:::bucket/file10.txt"))
        #expect(!PolicyMatching.resourceMatches("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/a"))
        #expect(!PolicyMatching.resourceMatches("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/a"))
    }

    @Test("Lambda qualifiers: an unqualified ARN matches only unqualified requests, name:* only qualified ones")
    func lambdaQualifiers() {
        let unqualified = "arn:aws:lambda:us-east-1:111122223333:function:my-fn"
        #expect(PolicyMatching.resourceMatches(unqualified, unqualified))
        #expect(!PolicyMatching.resourceMatches(unqualified, unqualified + ":prod"))
        #expect(PolicyMatching.resourceMatches(unqualified + ":*", unqualified + ":prod"))
        #expect(PolicyMatching.resourceMatches(unqualified + ":*", unqualified + ":7"))
        #expect(!PolicyMatching.resourceMatches(unqualified + ":*", unqualified))
    }

    @Test("ARN conditions match each colon-separated part on its own, so * never crosses a colon")
    func arnSegments() {
        let pattern = "arn:aws:someservice:*:111122223333:finance/*"
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        #expect(!PolicyMatching.arnMatches(pattern, value))
        #expect(PolicyMatching.stringLikeMatches(pattern, value))
        #expect(PolicyMatching.arnMatches("arn:aws:s3:::*", "arn:aws:s3:::bucket/with:colon"))
        #expect(PolicyMatching.arnMatches("arn:aws:lambda:*:*:function:*", "arn:aws:lambda:us-east-1:111122223333:function:f:prod"))
        #expect(PolicyMatching.arnMatches("arn:aws:sns:us-?ast-1:111122223333:topic", "arn:aws:sns:us-east-1:111122223333:topic"))
        #expect(!PolicyMatching.arnMatches("arn:aws:*", "arn:aws:s3:::bucket"))
        #expect(!PolicyMatching.arnMatches("arn:aws:s3*:::bucket", "arn:aws:s3:x::bucket"))
        #expect(!PolicyMatching.arnMatches("arn:AWS:s3:::bucket", "arn:aws:s3:::bucket"))
        #expect(PolicyMatching.arnMatches("*", "anything:at:all"))
        #expect(PolicyMatching.arnMatches("arn:aws:sns:us-east-1:111122223333:topic", "arn:aws:sns:us-east-1:111122223333:topic"))
    }

    @Test("StringLike is a case-sensitive glob")
    func stringLike() {
        #expect(PolicyMatching.stringLikeMatches("home/*/", "home/alice/"))
        #expect(PolicyMatching.stringLikeMatches("a?c", "abc"))
        #expect(PolicyMatching.stringLikeMatches("*", ""))
        #expect(PolicyMatching.stringLikeMatches("a*b*c", "aXXbYYc"))
        #expect(!PolicyMatching.stringLikeMatches("a*b*c", "aXXbYY"))
        #expect(!PolicyMatching.stringLikeMatches("Home/*", "home/alice"))
        #expect(!PolicyMatching.stringLikeMatches("a?c", "ac"))
    }

    @Test("a literal * in a pattern matches only an asterisk")
    func literalStar() {
        let pattern = GlobPattern(elements: [.literal("a"), .literal("*"), .literal("b")])
        #expect(pattern.matches("a*b"))
        #expect(!pattern.matches("axb"))
        #expect(!pattern.matches("ab"))
        #expect(GlobPattern(literal: "a?b").matches("a?b"))
        #expect(!GlobPattern(literal: "a?b").matches("axb"))
    }
}
