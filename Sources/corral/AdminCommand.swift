import ArgumentParser
import CorralAuth
import CorralPolicy
import CorralStore
import Foundation

/// `corral admin`: tenants, access keys, quotas, roles and secrets, on this machine. Each command goes
/// through the running server (DATA/admin.sock, root only), which applies it at once, or works on the
/// database directly when no server runs (AdminAction.run decides). Needs root, or the database's owner.
struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Manage tenants, access keys, quotas, roles and secrets (local: this machine's server).",
        discussion: """
            Every command takes --data DIR, like `corral serve`. While the server runs, a command goes through its socket DIR/admin.sock (mode 0600; the server refuses any peer but root) and takes effect at once: a revoked key is refused from the next request, a changed role or secret reaches new environments. When no server runs, it works on the database directly.

            Examples:
              corral admin tenant create acme --json       # prints accountId, accessKeyId, secretAccessKey (shown once)
              corral admin tenant quota acme --concurrency 20 --memory 1024
              corral admin key create --tenant acme --user ci --policy ci-policy.json
              corral admin key revoke AKIA...
              corral admin role put --tenant acme reader --policy reader.json
              corral admin secret put --tenant acme db-password --file password.txt
            """,
        subcommands: [TenantCommand.self, KeyCommand.self, RoleCommand.self, SecretCommand.self, AuditCommand.self])

    /// The server's audit log of authorization decisions, in its data directory.
    static let auditFileName = "audit.log"
}

struct AuditCommand: AdminAction {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print the audit log: every authorization decision (principal, action, resource, decision, deciding statement), one JSON object a line.")
    @Option(help: "Only the last N decisions.") var tail: Int?
    @Flag(help: "Only refusals.") var denied = false
    @OptionGroup var data: DataOptions

    func validate() throws {
        if let tail, tail < 1 { throw ValidationError("--tail must be at least 1") }
    }

    func perform(_ admin: AdminContext) throws {
        let path = admin.dataDirectory + "/" + AdminCommand.auditFileName
        guard FileManager.default.fileExists(atPath: path) else {
            admin.printError("corral admin: no audit log at \(path) yet (the server writes one decision per API request)")
            throw ExitCode(1)
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            admin.printError("corral admin: cannot read \(path) (run as its owner, e.g. root)")
            throw ExitCode(1)
        }
        var lines = text.split(separator: "\n")
        if denied { lines = lines.filter { !$0.contains("\"decision\":\"Allow\"") } }
        if let tail { lines = Array(lines.suffix(tail)) }
        for line in lines { admin.print(String(line)) }
    }
}

/// Where the database is: `--data DIR`, like `corral serve` (and DIR/admin.sock, when the server runs).
struct DataOptions: ParsableArguments {
    @Option(help: "The server's data directory: its admin.sock while the server runs, else its database (default: /var/lib/corral as root, else $XDG_DATA_HOME/corral).")
    var data: String?

    var directory: String { data ?? ServeCommand.defaultDataDirectory }
}

/// `--tenant T`: the commands that act on one tenant's things.
struct TenantOptions: ParsableArguments {
    @Option(help: "Tenant name or account id.") var tenant: String

    /// The tenant store and the named tenant (not found: a StoreError).
    func open(_ admin: AdminContext) throws -> (store: TenantStore, tenant: Tenant) {
        let store = try admin.tenants()
        return (store, try store.tenant(tenant))
    }
}

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tenant", abstract: "Create and list tenants, show and set their quotas.",
                                                    subcommands: [Create.self, List.self, Quota.self])

    struct Create: AdminAction {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant and its first (root) access key; the secret is printed once, here.")
        @Argument(help: "The tenant's name (letters, digits, '-', '_', '.').") var name: String
        @Option(help: "A 12-digit account id (default: a random unused one).") var account: String?
        @Flag(help: "Print {accountId, accessKeyId, secretAccessKey} as JSON.") var json = false
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let tenants = try admin.tenants()
                let tenant = try tenants.createTenant(name: name, account: account)
                admin.changed(.tenants)
                let secret = AccessKeyGenerator.secret()
                let key = try tenants.createKey(account: tenant.account, id: AccessKeyGenerator.keyID(), secret: secret)
                admin.changed(.keys)
                if json {
                    admin.printJSON(["name": tenant.name, "accountId": tenant.account, "accessKeyId": key.id, "secretAccessKey": secret])
                } else {
                    admin.print("tenant \(tenant.name): account \(tenant.account)")
                    admin.print("accessKeyId:     \(key.id)")
                    admin.print("secretAccessKey: \(secret)   (shown once; keep it)")
                }
            }
        }
    }

    struct List: AdminAction {
        static let configuration = CommandConfiguration(abstract: "List the tenants.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let all = try admin.tenants().tenants()
                if json {
                    admin.printJSON(all.map { ["name": $0.name, "accountId": $0.account, "created": ISO8601DateFormatter().string(from: $0.created)] })
                    return
                }
                admin.print("NAME".padding(toLength: 24, withPad: " ", startingAt: 0) + "  ACCOUNT")
                for tenant in all { admin.print(tenant.name.padding(toLength: 24, withPad: " ", startingAt: 0) + "  " + tenant.account) }
            }
        }
    }

    struct Quota: AdminAction {
        static let configuration = CommandConfiguration(abstract: "Show a tenant's quotas, or set some of them.")
        @Argument(help: "Tenant name or account id.") var tenant: String
        @Option(help: "Invocations running at once over all its functions (0: no quota of its own).") var concurrency: Int?
        @Option(help: "Ceiling of a function's MemorySize, MB (128-10240).") var memory: Int?
        @Option(help: "Ceiling of a function's Timeout, seconds (1-900).") var timeout: Int?
        @Option(help: "Number of functions.") var functions: Int?
        @Option(help: "Bytes of stored code packages.") var codeStorage: Int?
        @Option(help: "Ceiling of a function's EphemeralStorage, MB (512-10240).") var ephemeral: Int?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var data: DataOptions

        func validate() throws {
            if let concurrency, concurrency < 0 { throw ValidationError("--concurrency must be 0 or more") }
            if let memory, !(128...10240).contains(memory) { throw ValidationError("--memory must be 128-10240") }
            if let timeout, !(1...900).contains(timeout) { throw ValidationError("--timeout must be 1-900") }
            if let functions, functions < 0 { throw ValidationError("--functions must be 0 or more") }
            if let codeStorage, codeStorage < 0 { throw ValidationError("--code-storage must be 0 or more") }
            if let ephemeral, !(512...10240).contains(ephemeral) { throw ValidationError("--ephemeral must be 512-10240") }
        }

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let tenants = try admin.tenants()
                var found = try tenants.tenant(tenant)
                var quotas = found.quotas
                if let concurrency { quotas.concurrentExecutions = concurrency == 0 ? nil : concurrency }
                if let memory { quotas.memorySizeMB = memory }
                if let timeout { quotas.timeoutSeconds = timeout }
                if let functions { quotas.functions = functions }
                if let codeStorage { quotas.codeStorageBytes = codeStorage }
                if let ephemeral { quotas.ephemeralStorageMB = ephemeral }
                if quotas != found.quotas {
                    found = try tenants.setQuotas(found.account, quotas)
                    admin.changed(.quotas)
                }
                let q = found.quotas
                let rows: [(String, Any)] = [("concurrentExecutions", q.concurrentExecutions.map { $0 as Any } ?? NSNull()), ("memorySizeMB", q.memorySizeMB),
                                             ("timeoutSeconds", q.timeoutSeconds), ("functions", q.functions),
                                             ("codeStorageBytes", q.codeStorageBytes), ("ephemeralStorageMB", q.ephemeralStorageMB)]
                if json {
                    admin.printJSON(Dictionary(uniqueKeysWithValues: rows))
                } else {
                    admin.print("tenant \(found.name) (account \(found.account))")
                    for (name, value) in rows { admin.print("  \(name): \(value is NSNull ? "none (the host's capacity and fair share)" : "\(value)")") }
                }
            }
        }
    }
}

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "Create, list and revoke access keys.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AdminAction {
        static let configuration = CommandConfiguration(
            abstract: "Create an access key for a tenant; the secret is printed once, here.",
            discussion: "Without --user the key is the tenant's root: all of its account. With --user it acts as arn:aws:iam::ACCOUNT:user/NAME and may do what --policy (an IAM identity policy, JSON) allows, and nothing else.")
        @Option(help: "Tenant name or account id.") var tenant: String
        @Option(help: "A user name the key acts as (needs --policy to be allowed anything).") var user: String?
        @Option(help: "A file holding the key's identity policy (IAM JSON).") var policy: String?
        @Flag(help: "Print {accountId, accessKeyId, secretAccessKey} as JSON.") var json = false
        @OptionGroup var data: DataOptions

        func validate() throws {
            if policy != nil && user == nil { throw ValidationError("--policy needs --user (a root key may do anything in its account)") }
        }

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                var document: String?
                if let policy {
                    guard let text = try? String(contentsOfFile: admin.path(policy), encoding: .utf8) else { throw ValidationError("cannot read \(policy)") }
                    _ = try PolicyDocument.parse(text, kind: .identity)
                    document = text
                }
                let tenants = try admin.tenants()
                let owner = try tenants.tenant(tenant)
                let secret = AccessKeyGenerator.secret()
                let key = try tenants.createKey(account: owner.account, user: user, policy: document, id: AccessKeyGenerator.keyID(), secret: secret)
                admin.changed(.keys)
                if json {
                    admin.printJSON(["accountId": key.account, "accessKeyId": key.id, "secretAccessKey": secret, "principal": key.principalARN])
                } else {
                    admin.print("access key of \(owner.name), acting as \(key.principalARN)")
                    admin.print("accessKeyId:     \(key.id)")
                    admin.print("secretAccessKey: \(secret)   (shown once; keep it)")
                }
            }
        }
    }

    struct List: AdminAction {
        static let configuration = CommandConfiguration(abstract: "List access keys (never their secrets).")
        @Option(help: "Only this tenant's (name or account id).") var tenant: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let tenants = try admin.tenants()
                let account = try tenant.map { try tenants.tenant($0).account }
                let keys = try tenants.keys(account: account)
                let iso = ISO8601DateFormatter()
                if json {
                    admin.printJSON(keys.map { key -> [String: Any] in
                        ["accessKeyId": key.id, "accountId": key.account, "principal": key.principalARN, "hasPolicy": key.policy != nil,
                         "created": iso.string(from: key.created), "status": key.revoked == nil ? "Active" : "Revoked"]
                    })
                    return
                }
                admin.print(["ACCESS KEY".padding(toLength: 20, withPad: " ", startingAt: 0), "STATUS ", "POLICY", "PRINCIPAL"].joined(separator: "  "))
                for key in keys {
                    admin.print([key.id.padding(toLength: 20, withPad: " ", startingAt: 0), key.revoked == nil ? "Active " : "Revoked",
                                 key.policy == nil ? "-     " : "yes   ", key.principalARN].joined(separator: "  "))
                }
            }
        }
    }

    struct Revoke: AdminAction {
        static let configuration = CommandConfiguration(abstract: "Revoke an access key: requests signed with it are refused from then on.")
        @Argument(help: "The access key id.") var keyID: String
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let key = try admin.tenants().revokeKey(keyID)
                admin.changed(.keys)
                admin.print("revoked \(key.id) (\(key.principalARN))")
            }
        }
    }
}

struct RoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role", abstract: "Store a tenant's execution roles (a name and an IAM policy document a function's Role names).",
        discussion: "Each new environment of a function gets its role's grants (fs binds, egress, credentials, secrets). Through a running server, putting or deleting a role retires the warm environments of the functions naming it, so the next invocation starts with the role as it is now.",
        subcommands: [Put.self, Get.self, List.self, Delete.self])

    struct Put: AdminAction {
        static let configuration = CommandConfiguration(abstract: "Create or replace a role from a policy file.")
        @Argument(help: "The role's name (letters, digits, +=,.@_-).") var name: String
        @Option(help: "A file holding the role's policy (IAM JSON).") var policy: String
        @OptionGroup var scope: TenantOptions
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                guard let text = try? String(contentsOfFile: admin.path(policy), encoding: .utf8) else { throw ValidationError("cannot read \(policy)") }
                _ = try PolicyDocument.parse(text, kind: .identity)
                let (tenants, owner) = try scope.open(admin)
                try tenants.putRole(account: owner.account, name: name, policy: text)
                admin.changed(.role(account: owner.account, name: name))
                admin.print("arn:aws:iam::\(owner.account):role/\(name)")
            }
        }
    }

    struct Get: AdminAction {
        static let configuration = CommandConfiguration(abstract: "Print a role's policy document.")
        @Argument(help: "The role's name.") var name: String
        @OptionGroup var scope: TenantOptions
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let (tenants, owner) = try scope.open(admin)
                admin.print(try tenants.role(account: owner.account, name: name))
            }
        }
    }

    struct List: AdminAction {
        static let configuration = CommandConfiguration(abstract: "List a tenant's roles (their ARNs).")
        @OptionGroup var scope: TenantOptions
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let (tenants, owner) = try scope.open(admin)
                for name in try tenants.roles(account: owner.account) { admin.print("arn:aws:iam::\(owner.account):role/\(name)") }
            }
        }
    }

    struct Delete: AdminAction {
        static let configuration = CommandConfiguration(abstract: "Delete a role.")
        @Argument(help: "The role's name.") var name: String
        @OptionGroup var scope: TenantOptions
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let (tenants, owner) = try scope.open(admin)
                try tenants.deleteRole(account: owner.account, name: name)
                admin.changed(.role(account: owner.account, name: name))
            }
        }
    }
}

struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Store a tenant's secrets (named values a role may grant with secrets:Get).",
        discussion: "Values are kept in the database (0600) and never printed; a function whose role grants one finds it in /run/secrets/NAME. Through a running server, putting or deleting a secret retires the warm environments whose role grants it.",
        subcommands: [Put.self, Delete.self, List.self])

    struct Put: AdminAction {
        static let configuration = CommandConfiguration(abstract: "Create or replace a secret, from --file or standard input (at most 64 KiB).")
        @Argument(help: "The secret's name (letters, digits, +=,.@_-).") var name: String
        @Option(help: "A file holding the value (default: standard input).") var file: String?
        @OptionGroup var scope: TenantOptions
        @OptionGroup var data: DataOptions

        var readsStandardInput: Bool { file == nil }

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let value: Data
                if let file {
                    guard let read = FileManager.default.contents(atPath: admin.path(file)) else { throw ValidationError("cannot read \(file)") }
                    value = read
                } else {
                    value = admin.standardInput ?? Data()
                }
                let (tenants, owner) = try scope.open(admin)
                try tenants.putSecret(account: owner.account, name: name, value: Array(value))
                admin.changed(.secret(account: owner.account, name: name))
            }
        }
    }

    struct Delete: AdminAction {
        static let configuration = CommandConfiguration(abstract: "Delete a secret.")
        @Argument(help: "The secret's name.") var name: String
        @OptionGroup var scope: TenantOptions
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let (tenants, owner) = try scope.open(admin)
                try tenants.deleteSecret(account: owner.account, name: name)
                admin.changed(.secret(account: owner.account, name: name))
            }
        }
    }

    struct List: AdminAction {
        static let configuration = CommandConfiguration(abstract: "List a tenant's secrets (names only).")
        @OptionGroup var scope: TenantOptions
        @OptionGroup var data: DataOptions

        func perform(_ admin: AdminContext) throws {
            try admin.call {
                let (tenants, owner) = try scope.open(admin)
                for name in try tenants.secrets(account: owner.account) { admin.print(name) }
            }
        }
    }
}
