import CorralFunctions
import Testing

@Suite struct FunctionSettingsTests {
    let valid = FunctionSettings(runtime: "python3.11", handler: "app.handler", role: "arn:aws:iam::123456789012:role/service-role/fn")

    @Test("Lambda's defaults are valid")
    func defaults() throws {
        try valid.validate()
        #expect(valid.memorySize == 128 && valid.timeout == 3 && valid.ephemeralStorage == 512)
    }

    @Test("each out-of-range setting names its field")
    func ranges() {
        func field(_ change: (inout FunctionSettings) -> Void) -> String? {
            var s = valid
            change(&s)
            do { try s.validate(); return nil } catch { return error.field }
        }
        #expect(field { $0.memorySize = 127 } == "MemorySize")
        #expect(field { $0.memorySize = 10241 } == "MemorySize")
        #expect(field { $0.memorySize = 10240 } == nil)
        #expect(field { $0.timeout = 0 } == "Timeout")
        #expect(field { $0.timeout = 901 } == "Timeout")
        #expect(field { $0.ephemeralStorage = 511 } == "EphemeralStorage")
        #expect(field { $0.runtime = "python2.7x" } == "Runtime")
        #expect(field { $0.runtime = "ruby3.2" } == "Runtime")
        #expect(field { $0.handler = "" } == "Handler")
        #expect(field { $0.handler = "a b" } == "Handler")
        #expect(field { $0.role = "arn:aws:iam::1234:role/x" } == "Role")
        #expect(field { $0.role = "arn:aws:iam::123456789012:user/x" } == "Role")
        #expect(field { $0.description = String(repeating: "d", count: 257) } == "Description")
    }

    @Test("environment: names, reserved keys, and the 4 KB total")
    func environment() {
        func check(_ env: [String: String]) -> FunctionSpecError? {
            var s = valid
            s.environment = env
            do { try s.validate(); return nil } catch { return error }
        }
        #expect(check(["STAGE": "prod", "a_1": ""]) == nil)
        #expect(check(["1A": "x"])?.field == "Environment")
        #expect(check(["A-B": "x"])?.field == "Environment")
        #expect(check(["AWS_REGION": "x", "LAMBDA_TASK_ROOT": "y"]) == .invalid("Environment", "reserved keys cannot be set: AWS_REGION, LAMBDA_TASK_ROOT"))
        #expect(check(["BIG": String(repeating: "x", count: 4093)]) == nil) // 3 + 4093 = 4096 bytes
        #expect(check(["BIG": String(repeating: "x", count: 4094)])?.field == "Environment")
    }

    @Test("runtime identifiers", arguments: [
        ("python3.11", RuntimeName.python(minor: 11)), ("python3.9", .python(minor: 9)), ("nodejs20.x", .node(major: 20)),
        ("provided", .provided("provided")), ("provided.al2023", .provided("provided.al2023")),
    ])
    func runtimes(_ identifier: String, _ expected: RuntimeName) {
        #expect(RuntimeName(identifier) == expected)
        #expect(RuntimeName(identifier)?.description == identifier)
    }

    @Test("not runtime identifiers", arguments: ["python3", "python3.", "python3.011", "nodejs20", "nodejs.x", "provided.al3", "java21"])
    func notRuntimes(_ identifier: String) {
        #expect(RuntimeName(identifier) == nil)
    }
}
