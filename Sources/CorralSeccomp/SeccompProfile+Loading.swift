#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CorralSystem

extension SeccompProfile {
    /// Parses and checks a JSON profile. Throws `SeccompProfileError` (with no file) on any problem.
    public static func parse(_ data: [UInt8]) throws(SeccompProfileError) -> SeccompProfile {
        let profile: SeccompProfile
        do {
            profile = try JSONDecoder().decode(SeccompProfile.self, from: Data(data))
        } catch let error as DecodingError {
            throw SeccompProfileError(decoding: error)
        } catch {
            throw SeccompProfileError(field: "", message: "not a valid profile: \(error)")
        }
        try profile.check()
        return profile
    }

    /// Reads, parses and checks the profile at `path`. Errors name the file.
    public static func load(path: String) throws(SeccompProfileError) -> SeccompProfile {
        let text: String
        do {
            text = try FileSystem.read(path)
        } catch {
            throw SeccompProfileError(file: path, field: "", message: "cannot read: \(error)")
        }
        do {
            return try parse(Array(text.utf8))
        } catch {
            throw error.inFile(path)
        }
    }

    /// Resolves what a user typed after `--seccomp`: `default` is `<configDirectory>/default.json`, falling
    /// back to the copy built into the binary when that file does not exist; anything else is a path.
    public static func named(_ nameOrPath: String, configDirectory: String) throws(SeccompProfileError) -> SeccompProfile {
        guard nameOrPath == "default" else { return try load(path: nameOrPath) }
        let path = configDirectory + "/default.json"
        if FileSystem.exists(path) { return try load(path: path) }
        return try parse(Array(embeddedDefaultProfileJSON.utf8))
    }

    /// The default profile built into the binary (a copy of config/seccomp/default.json).
    public static var builtInDefault: SeccompProfile {
        get throws(SeccompProfileError) { try parse(Array(embeddedDefaultProfileJSON.utf8)) }
    }

    /// Checks what the types alone cannot: ranges, empty lists, fields that only go with one action.
    /// `SeccompCompiler.compile` calls this too, so a profile built in code gets the same checks.
    public func check() throws(SeccompProfileError) {
        if let code = defaultErrnoRet {
            guard defaultAction == .errno else {
                throw SeccompProfileError(field: "defaultErrnoRet", message: "only valid when defaultAction is SCMP_ACT_ERRNO")
            }
            try Self.checkErrno(code, field: "defaultErrnoRet")
        }
        for (i, rule) in syscalls.enumerated() {
            let at = "syscalls[\(i)]"
            if rule.names.isEmpty {
                throw SeccompProfileError(field: "\(at).names", message: "a rule must name at least one system call")
            }
            for (j, name) in rule.names.enumerated() where name.isEmpty {
                throw SeccompProfileError(field: "\(at).names[\(j)]", message: "empty system call name")
            }
            if let code = rule.errnoRet {
                guard rule.action == .errno else {
                    throw SeccompProfileError(field: "\(at).errnoRet", message: "only valid when action is SCMP_ACT_ERRNO")
                }
                try Self.checkErrno(code, field: "\(at).errnoRet")
            }
            var seen: Set<UInt32> = []
            for (j, arg) in (rule.args ?? []).enumerated() {
                let field = "\(at).args[\(j)]"
                guard arg.index <= 5 else {
                    throw SeccompProfileError(field: "\(field).index", message: "argument index \(arg.index) is out of range (0 to 5)")
                }
                guard seen.insert(arg.index).inserted else {
                    throw SeccompProfileError(
                        field: "\(field).index",
                        message: "argument \(arg.index) is compared twice in one rule; libseccomp cannot AND two comparisons of one argument, write two rules")
                }
                let two = arg.valueTwo ?? 0
                if arg.op == .maskedEqual {
                    if two & ~arg.value != 0 {
                        throw SeccompProfileError(
                            field: "\(field).valueTwo", message: "valueTwo has bits outside the mask in value, so the rule can never match")
                    }
                } else if two != 0 {
                    throw SeccompProfileError(field: "\(field).valueTwo", message: "valueTwo is only used by SCMP_CMP_MASKED_EQ")
                }
            }
        }
    }

    private static func checkErrno(_ code: UInt32, field: String) throws(SeccompProfileError) {
        guard code <= 4095 else {
            throw SeccompProfileError(field: field, message: "errno \(code) is out of range (0 to 4095)")
        }
    }
}

extension SeccompProfileError {
    /// Names the field a JSONDecoder error points at, e.g. `syscalls[2].args[0].op`.
    init(decoding error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(field: Self.path(context.codingPath + [key]), message: "missing required field \"\(key.stringValue)\"")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            self.init(field: Self.path(context.codingPath), message: "expected \(Self.describe(type))")
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { ": \($0)" } ?? ""
            self.init(field: Self.path(context.codingPath), message: context.debugDescription + underlying)
        @unknown default:
            self.init(field: "", message: "\(error)")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is UInt32.Type, is UInt64.Type: "a non-negative integer"
        case is [Any].Type: "a list"
        default: "\(type)"
        }
    }
}
