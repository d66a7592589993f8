import Testing
@testable import CorralPolicy

@Suite struct JSONReaderTests {
    @Test("values keep member order, number text, and booleans apart from numbers")
    func values() throws {
        let value = try JSONReader.parse(#" { "b": 1.50, "a": [true, 1, null, "x"], "c": {} } "#)
        #expect(value == .object([
            JSONMember("b", .number("1.50")),
            JSONMember("a", .array([.bool(true), .number("1"), .null, .string("x")])),
            JSONMember("c", .object([])),
        ]))
        #expect(try JSONReader.parse("-0.5e+3") == .number("-0.5e+3"))
    }

    @Test("string escapes, surrogate pairs and non-ASCII text are decoded")
    func escapes() throws {
        #expect(try JSONReader.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00é""#) == .string("a\"b\\c/d\n\té😀é"))
    }

    @Test("compact text escapes what JSON requires and reads back to the same value")
    func writing() throws {
        let value = JSONValue.object([
            JSONMember("k\"ey", .string("line\nbreak\u{01}/é")),
            JSONMember("n", .number("10")),
            JSONMember("l", .array([.bool(false), .null])),
        ])
        #expect(value.compactText == #"{"k\"ey":"line\nbreak\u0001/é","n":10,"l":[false,null]}"#)
        #expect(try JSONReader.parse(value.compactText) == value)
    }

    @Test("syntax errors say where they are")
    func errors() {
        func failure(_ text: String) -> JSONReader.SyntaxError? {
            do { _ = try JSONReader.parse(text); return nil } catch { return error }
        }
        #expect(failure(#"{"a": 1,}"#) == JSONReader.SyntaxError(message: "expected a key in quotes", line: 1, column: 9))
        #expect(failure("{\n  \"a\": tru\n}")?.line == 2)
        #expect(failure(#"{"a": 1, "a": 2}"#)?.message == "duplicate key \"a\"")
        #expect(failure(#"{"a": 01}"#) != nil)
        #expect(failure(#""unterminated"#)?.message == "unterminated string")
        #expect(failure(#"{} {}"#)?.message == "unexpected text after the document")
        #expect(failure("\"tab\there\"")?.message == "control character in a string")
        #expect(failure(#""\ud800""#)?.message == "unpaired surrogate escape")
        #expect(failure("") != nil)
    }

    @Test("nesting deeper than the limit is refused instead of exhausting the stack")
    func depth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONReader.SyntaxError.self) { try JSONReader.parse(deep) }
        let fine = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect((try? JSONReader.parse(fine)) != nil)
    }
}
