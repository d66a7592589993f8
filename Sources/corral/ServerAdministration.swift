import ArgumentParser
import CorralAPI
import CorralPolicy
import CorralRuntime
import CorralStore
import Foundation

/// The server's side of `corral admin`: runs a client's admin command in-process on the server's own
/// stores (the same AdminAction code as from the terminal), collecting what it prints, then applies what
/// it changed to the running server before answering, so the client's next request sees it.
struct ServerAdministration: Sendable {
    let dataDirectory: String
    let tenants: TenantStore
    let functions: FunctionStore
    let roles: ExecutionRoles
    let invoker: Invoker
    /// Gives the warm pool and the tenants' cgroups the quotas as stored now.
    let applyQuotas: @Sendable () async -> Void

    /// Runs `request`'s command and returns its output and exit status. Call from a thread of its own (it
    /// blocks on the database and waits for the changes to be applied), not from a task.
    func run(_ request: AdminSocket.Request) -> AdminSocket.Reply {
        let admin = AdminContext(server: tenants, directory: dataDirectory, workingDirectory: request.workingDirectory,
                                 standardInput: request.standardInput)
        var status: Int32 = 0
        do {
            // The client parsed the same arguments already; this parse can fail only with a client of another version.
            guard let action = try Corral.parseAsRoot(["admin"] + request.arguments) as? AdminAction else {
                return AdminSocket.Reply(errors: "corral admin: '\(request.arguments.joined(separator: " "))' is not an admin command\n", status: 2)
            }
            try action.perform(admin)
        } catch {
            let message = Corral.fullMessage(for: error)
            if !message.isEmpty { admin.printError(message) }
            status = Corral.exitStatus(for: error)
        }
        let changes = admin.changes
        if !changes.isEmpty {
            let done = DispatchSemaphore(value: 0)
            Task {
                await apply(changes)
                done.signal()
            }
            done.wait()
        }
        return AdminSocket.Reply(output: admin.output, errors: admin.errors, status: status)
    }

    /// Makes the running server follow `changes`.
    func apply(_ changes: [AdminChange]) async {
        for change in changes {
            switch change {
            case .keys, .tenants:
                // Nothing more: the command changed them through the server's own TenantStore, which empties
                // its key cache on every key or tenant change, so a revoked key is refused from the next request.
                break
            case .quotas:
                await applyQuotas()
            case let .role(account, name):
                // New environments compile the role as it is now; warm ones keep the grants they started with.
                await drain(account: account) { role in role.split(separator: "/").last.map(String.init) == name }
            case let .secret(account, name):
                // /run/secrets is written when an environment starts: those whose role grants this secret
                // start again with its new value (or without it).
                await drain(account: account) { arn in
                    guard let role = try? roles.role(account: account, arn: arn) else { return false }
                    return role.evaluate(RoleVocabulary.getSecret, on: RoleVocabulary.secretARN(name)).isAllowed
                }
            }
        }
    }

    /// Drains the warm environments of every version of `account`'s functions whose Role (an ARN) `matches`.
    private func drain(account: String, where matches: (String) -> Bool) async {
        guard let versions = try? functions.versionRoles(account: account) else { return }
        var decided: [String: Bool] = [:]
        for entry in versions {
            let affected = decided[entry.role] ?? matches(entry.role)
            decided[entry.role] = affected
            if affected { await invoker.drain(account: account, function: entry.function, version: entry.version) }
        }
    }
}
