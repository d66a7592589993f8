import ArgumentParser
import Foundation

/// `corral policy effective FUNCTION`: the sandbox a function's execution role compiles to, as the server
/// (which knows the opened roots and the tenant's secrets) compiles it for a new environment.
struct PolicyEffectiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "effective",
        abstract: "Show the sandbox a function's execution role compiles to: binds, egress allowlist, secrets, limits, seccomp profile.",
        discussion: """
            Asks the server (GET /corral/functions/NAME/sandbox, allowed to whoever may GetFunctionConfiguration): \
            it compiles the function's role with the host roots the operator opened to the tenant (fsRoots in the \
            configuration) and the tenant's secrets, exactly as it does when an environment starts. A role that no \
            longer compiles is reported with the reason. See docs/policies.md for the vocabulary.
            """)
    @Argument(help: "Function name or ARN.") var function: String
    @Option(help: "Version or alias (default $LATEST).") var qualifier: String?
    @Flag(help: "Print the server's JSON instead of text.") var json = false
    @OptionGroup var endpoint: EndpointOptions

    func run() async throws {
        try await clientCall {
            var path = "/corral/functions/" + APIClient.encode(function) + "/sandbox"
            if let qualifier { path += "?Qualifier=" + APIClient.encode(qualifier) }
            let reply = try await endpoint.client.send("GET", path)
            if json {
                FileHandle.standardOutput.write(reply.body)
                print("")
                return
            }
            print(Self.text(reply.json))
        }
    }

    static func text(_ sandbox: [String: Any]) -> String {
        var lines = ["function: \(sandbox["FunctionName"] as? String ?? "?") (version \(sandbox["Version"] as? String ?? "?"))",
                     "role:     \(sandbox["Role"] as? String ?? "?")"]
        let binds = sandbox["Binds"] as? [[String: Any]] ?? []
        lines.append("binds:" + (binds.isEmpty ? " none" : ""))
        for bind in binds { lines.append("  \(bind["Path"] as? String ?? "?")  \(bind["Access"] as? String ?? "?")") }
        let egress = sandbox["Egress"] as? [String] ?? []
        lines.append("egress:" + (egress.isEmpty ? " none (no proxy)" : ""))
        for pattern in egress { lines.append("  \(pattern)") }
        let secrets = sandbox["Secrets"] as? [String] ?? []
        lines.append("secrets:" + (secrets.isEmpty ? " none" : ""))
        for secret in secrets { lines.append("  \(secret)  read-only") }
        lines.append("role credentials: " + ((sandbox["RoleCredentials"] as? Bool) == true ? "yes (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_LAMBDA)" : "no"))
        lines.append("network:  \(sandbox["Network"] as? String ?? "?")")
        if let limits = sandbox["Limits"] as? [String: Any] {
            lines.append("limits:   memory \(limits["MemoryMB"] ?? "?") MB (no swap), cpus \(limits["Cpus"] ?? "?"), pids \(limits["Pids"] ?? "?"), /tmp \(limits["TmpMB"] ?? "?") MB, timeout \(limits["TimeoutSeconds"] ?? "?") s")
        }
        lines.append("seccomp:  \(sandbox["Seccomp"] as? String ?? "?")")
        return lines.joined(separator: "\n")
    }
}
