import Testing

@testable import CorralSeccomp

private func parse(_ json: String) throws(SeccompProfileError) -> SeccompProfile {
    try SeccompProfile.parse(Array(json.utf8))
}

/// Parses `json`, expecting a SeccompProfileError whose field is `field` and whose message contains `words`.
private func expectError(_ json: String, field: String, _ words: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try parse(json)
        Issue.record("expected an error at \(field)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.field == field, sourceLocation: sourceLocation)
        #expect(error.message.contains(words), "\(error.message)", sourceLocation: sourceLocation)
        #expect(error.file == nil, sourceLocation: sourceLocation)
    }
}

private func rule(_ body: String) -> String {
    #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, "# + body + "]}"
}

@Suite struct ProfileParsingTests {
    @Test func parsesTheFullShape() throws {
        let profile = try parse(#"""
            {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "badArchAction": "SCMP_ACT_KILL_PROCESS",
             "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
                          {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                           "args": [{"index": 1, "value": 18446744073709551615, "valueTwo": 9, "op": "SCMP_CMP_MASKED_EQ"}]}]}
            """#)
        #expect(profile.defaultAction == .errno)
        #expect(profile.defaultErrnoRet == 38)
        #expect(profile.badArchAction == .killProcess)
        #expect(profile.architectures == [.x86_64, .x86])
        #expect(profile.syscalls.count == 2)
        #expect(profile.syscalls[0].names == ["read", "write"])
        #expect(profile.syscalls[0].comment == "io")
        #expect(profile.syscalls[1].errnoRet == 1)
        #expect(profile.syscalls[1].args == [.init(index: 1, value: .max, valueTwo: 9, op: .maskedEqual)])
    }

    @Test func optionalFieldsAreAbsentNotDefaulted() throws {
        let profile = try parse(#"{"defaultAction": "SCMP_ACT_ALLOW"}"#)
        #expect(profile.defaultErrnoRet == nil)
        #expect(profile.badArchAction == nil)
        #expect(profile.architectures == nil)
        #expect(profile.syscalls.isEmpty)
    }

    @Test(arguments: SeccompProfile.Action.allCases)
    func everyActionParses(_ action: SeccompProfile.Action) throws {
        let profile = try parse(rule(#"{"names": ["kill"], "action": "\#(action.rawValue)"}"#))
        #expect(profile.syscalls[1].action == action)
    }

    @Test(arguments: SeccompProfile.Operator.allCases)
    func everyOperatorParses(_ op: SeccompProfile.Operator) throws {
        let profile = try parse(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 5, "value": 3, "op": "\#(op.rawValue)"}]}"#))
        #expect(profile.syscalls[1].args?.first?.op == op)
    }

    @Test func encodingRoundTrips() throws {
        let profile = try SeccompProfile.builtInDefault
        let again = try parse(String(decoding: try encodeJSON(profile), as: UTF8.self))
        #expect(again == profile)
    }

    @Test func unknownActionNamesTheRule() {
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_KILL"}"#), field: "syscalls[1].action", #"unknown action "SCMP_ACT_KILL""#)
        expectError(#"{"defaultAction": "ALLOW"}"#, field: "defaultAction", "expected one of SCMP_ACT_ALLOW")
        expectError(#"{"defaultAction": "SCMP_ACT_ALLOW", "badArchAction": "x"}"#, field: "badArchAction", "unknown action")
    }

    @Test func unknownOperator() {
        expectError(
            rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_MASKED_NE"}]}"#),
            field: "syscalls[1].args[0].op", #"unknown operator "SCMP_CMP_MASKED_NE""#)
    }

    @Test func unknownArchitecture() {
        expectError(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]}"#,
            field: "architectures[1]", #"unknown architecture "SCMP_ARCH_VAX""#)
    }

    @Test func argumentIndexAboveFive() {
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}"#),
            field: "syscalls[1].args[0].index", "argument index 6 is out of range")
    }

    @Test func sameArgumentTwiceInOneRule() {
        expectError(
            rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GT"}, {"index": 0, "value": 9, "op": "SCMP_CMP_LT"}]}"#),
            field: "syscalls[1].args[1].index", "write two rules")
    }

    @Test func emptyNames() {
        expectError(rule(#"{"names": [], "action": "SCMP_ACT_ALLOW"}"#), field: "syscalls[1].names", "at least one")
        expectError(rule(#"{"names": ["read", ""], "action": "SCMP_ACT_ALLOW"}"#), field: "syscalls[1].names[1]", "empty system call name")
    }

    @Test func errnoOnlyWithTheErrnoAction() {
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}"#), field: "syscalls[1].errnoRet", "only valid")
        expectError(#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 38}"#, field: "defaultErrnoRet", "only valid")
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}"#), field: "syscalls[1].errnoRet", "out of range")
    }

    @Test func valueTwoRules() {
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_EQ"}]}"#),
            field: "syscalls[1].args[0].valueTwo", "only used by SCMP_CMP_MASKED_EQ")
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 15, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}"#),
            field: "syscalls[1].args[0].valueTwo", "never match")
        // Docker's profiles write "valueTwo": 0 everywhere; that is accepted.
        #expect(throws: Never.self) {
            try parse(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}"#))
        }
    }

    @Test func unknownFieldsAreErrors() {
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoret": 1}"#), field: "syscalls[1].errnoret", #"unknown field "errnoret""#)
        expectError(#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": []}"#, field: "flags", "unknown field")
    }

    @Test func missingAndMistypedFields() {
        expectError(#"{"syscalls": []}"#, field: "defaultAction", "missing required field")
        expectError(rule(#"{"names": ["kill"]}"#), field: "syscalls[1].action", "missing required field")
        expectError(rule(#"{"names": "kill", "action": "SCMP_ACT_ALLOW"}"#), field: "syscalls[1].names", "expected")
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": -1, "value": 1, "op": "SCMP_CMP_EQ"}]}"#),
            field: "syscalls[1].args[0].index", "expected a whole number from 0 to 4294967295")
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}"#),
            field: "syscalls[1].args[0].value", "expected a whole number")
        expectError(rule(#"{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}"#),
            field: "syscalls[1].args[0].value", "missing required field")
    }

    @Test func notJSON() {
        do {
            _ = try parse("{nope")
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func loadNamesTheFile() throws {
        let path = try temporaryFile(contents: rule(#"{"names": ["kill"], "action": "SCMP_ACT_NOPE"}"#))
        defer { removeFile(path) }
        do {
            _ = try SeccompProfile.load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == path)
            #expect(error.field == "syscalls[1].action")
            #expect(error.description.hasPrefix("\(path): syscalls[1].action: unknown action"))
        }
        do {
            _ = try SeccompProfile.load(path: path + ".missing")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == path + ".missing")
            #expect(error.message.contains("cannot read"))
        }
    }
}
