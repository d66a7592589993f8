import CorralFunctions
import Testing

@Suite struct FunctionReferenceTests {
    @Test("every FunctionName form Lambda accepts")
    func forms() throws {
        #expect(try FunctionReference.parse("my-fn") == FunctionReference(name: "my-fn"))
        #expect(try FunctionReference.parse("my_fn:prod") == FunctionReference(name: "my_fn", qualifier: "prod"))
        #expect(try FunctionReference.parse("my-fn:$LATEST") == FunctionReference(name: "my-fn", qualifier: "$LATEST"))
        #expect(try FunctionReference.parse("123456789012:function:my-fn") == FunctionReference(account: "123456789012", name: "my-fn"))
        #expect(try FunctionReference.parse("123456789012:function:my-fn:7") == FunctionReference(account: "123456789012", name: "my-fn", qualifier: "7"))
        #expect(try FunctionReference.parse("arn:aws:lambda:us-east-1:123456789012:function:my-fn")
            == FunctionReference(account: "123456789012", region: "us-east-1", name: "my-fn"))
        #expect(try FunctionReference.parse("arn:aws:lambda:us-gov-west-1:123456789012:function:my-fn:live")
            == FunctionReference(account: "123456789012", region: "us-gov-west-1", name: "my-fn", qualifier: "live"))
    }

    @Test("malformed names are refused with a message naming the field", arguments: [
        "", "my fn", "a/b", "my-fn:", "my-fn:01", "my-fn:a:b", "12345:function:my-fn", "123456789012:func:my-fn",
        "arn:aws:lambda:us-east-1:123456789012:layer:x", "arn:aws:lambda:useast1:123456789012:function:f",
        "arn:gcp:lambda:us-east-1:123456789012:function:f", String(repeating: "a", count: 65),
        "arn:aws:lambda:us-east-1:123456789012:function:" + String(repeating: "a", count: 130),
    ])
    func refused(_ text: String) {
        #expect(throws: FunctionSpecError.self) { try FunctionReference.parse(text) }
    }

    @Test("a Qualifier parameter qualifies a bare name and must agree with one in FunctionName")
    func qualifierParameter() throws {
        let bare = try FunctionReference.parse("f")
        #expect(try bare.qualified(by: "3").qualifier == "3")
        #expect(try bare.qualified(by: nil).qualifier == nil)
        let qualified = try FunctionReference.parse("f:prod")
        #expect(try qualified.qualified(by: "prod").qualifier == "prod")
        #expect(throws: FunctionSpecError.invalid("Qualifier", "the qualifier in FunctionName (prod) and the Qualifier parameter (3) differ")) {
            try qualified.qualified(by: "3")
        }
        #expect(throws: FunctionSpecError.self) { try bare.qualified(by: "bad qualifier") }
    }

    @Test("ARNs print as Lambda shows them")
    func arns() {
        #expect(FunctionARN(region: "us-east-1", account: "123456789012", name: "f").description == "arn:aws:lambda:us-east-1:123456789012:function:f")
        #expect(FunctionARN(region: "eu-west-2", account: "123456789012", name: "f", qualifier: "$LATEST").description
            == "arn:aws:lambda:eu-west-2:123456789012:function:f:$LATEST")
    }

    @Test("identifier predicates", arguments: [
        ("0", true, false), ("12", true, false), ("012", false, false), ("prod", false, true), ("v-1_x", false, true), ("", false, false),
    ])
    func versionsAndAliases(_ text: String, isVersion: Bool, isAlias: Bool) {
        #expect(FunctionNames.isVersionNumber(text) == isVersion)
        #expect(FunctionNames.isAliasName(text) == isAlias)
    }
}
