import ArgumentParser
import CorralPolicy
import Foundation

/// Policy documents read from the files named on the command line, for the `corral policy` commands.
enum PolicyFile {
    /// The policy in `path`, parsed as `kind` and named by the path as given. A file that cannot be read
    /// or is not a valid policy is reported on stderr as `corral COMMAND: OPTION PATH: what is wrong and
    /// where` (the element path from `PolicyError`), and exits 1.
    static func read(_ path: String, kind: PolicyKind, option: String, command: String) throws -> NamedPolicy {
        func fail(_ problem: String) throws -> NamedPolicy {
            printError("corral \(command): \(option) \(path): \(problem)")
            throw ExitCode(1)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return try fail("no such file") }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            return try fail("cannot read it (\(isDirectory.boolValue ? "a directory" : "permission denied"))")
        }
        guard let text = String(data: data, encoding: .utf8) else { return try fail("not UTF-8 text") }
        do {
            return NamedPolicy(name: path, kind: kind, document: try PolicyDocument.parse(text, kind: kind))
        } catch {
            return try fail("not a valid \(kind.label) policy: \(error.path): \(error.message)\(hint(for: error, kind: kind))")
        }
    }

    /// A pointer to the other option when the document looks like the other kind of policy.
    private static func hint(for error: PolicyError, kind: PolicyKind) -> String {
        switch kind {
        case .identity where error.message.contains("cannot name a principal"):
            return " (a resource-based policy goes in --resource-policy)"
        case .resource where error.message.contains("is required in a resource-based policy"):
            return " (an identity-based policy goes in --policy)"
        default:
            return ""
        }
    }
}
