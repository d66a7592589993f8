import Foundation
import GRDB

/// The database schema, as GRDB migrations: each runs once, in order, and never changes once released.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: functions, versions, aliases") { db in
            try db.create(table: "function") { t in
                t.column("account", .text).notNull()
                t.column("name", .text).notNull()
                t.column("nextVersion", .integer).notNull().defaults(to: 1)
                t.primaryKey(["account", "name"])
            }
            try db.create(table: "functionVersion") { t in
                t.column("account", .text).notNull()
                t.column("name", .text).notNull()
                t.column("version", .text).notNull()            // "$LATEST" or a number
                t.column("number", .integer).notNull()          // 0 for $LATEST: orders listings
                t.column("settings", .jsonText).notNull()       // FunctionSettings
                t.column("codeDigest", .text).notNull()
                t.column("codeSha256", .text).notNull()
                t.column("codeSize", .integer).notNull()
                t.column("revisionID", .text).notNull()
                t.column("lastModifiedMs", .integer).notNull()    // ms since the epoch (Lambda shows ms)
                t.primaryKey(["account", "name", "version"])
                t.foreignKey(["account", "name"], references: "function", onDelete: .cascade)
            }
            try db.create(table: "alias") { t in
                t.column("account", .text).notNull()
                t.column("function", .text).notNull()
                t.column("name", .text).notNull()
                t.column("functionVersion", .text).notNull()
                t.column("description", .text).notNull()
                t.column("weights", .jsonText).notNull()        // [version: weight]
                t.column("revisionID", .text).notNull()
                t.primaryKey(["account", "function", "name"])
                t.foreignKey(["account", "function"], references: "function", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v2: reserved and provisioned concurrency") { db in
            try db.create(table: "reservedConcurrency") { t in
                t.column("account", .text).notNull()
                t.column("function", .text).notNull()
                t.column("reserved", .integer).notNull()
                t.primaryKey(["account", "function"])
                t.foreignKey(["account", "function"], references: "function", onDelete: .cascade)
            }
            try db.create(table: "provisionedConcurrency") { t in
                t.column("account", .text).notNull()
                t.column("function", .text).notNull()
                t.column("qualifier", .text).notNull()          // a version number or an alias name
                t.column("requested", .integer).notNull()
                t.column("lastModifiedMs", .integer).notNull()
                t.primaryKey(["account", "function", "qualifier"])
                t.foreignKey(["account", "function"], references: "function", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v3: tenants and access keys") { db in
            try db.create(table: "tenant") { t in
                t.column("account", .text).primaryKey()         // 12 digits
                t.column("name", .text).notNull().unique()
                t.column("quotas", .jsonText).notNull()         // TenantQuotas
                t.column("createdMs", .integer).notNull()
            }
            try db.create(table: "accessKey") { t in
                t.column("id", .text).primaryKey()              // AKIA...
                t.column("account", .text).notNull().references("tenant", onDelete: .cascade)
                t.column("secret", .text).notNull()             // SigV4 needs it; the file is 0600
                t.column("user", .text)                         // nil: the tenant's root
                t.column("policy", .text)                       // an identity policy; nil: all of the account
                t.column("createdMs", .integer).notNull()
                t.column("revokedMs", .integer)
            }
            try db.create(index: "accessKeyAccount", on: "accessKey", columns: ["account"])
        }
        migrator.registerMigration("v4: function resource policies") { db in
            try db.create(table: "functionPolicy") { t in
                t.column("account", .text).notNull()
                t.column("function", .text).notNull()
                t.column("qualifier", .text).notNull()          // "" for the unqualified function
                t.column("policy", .text).notNull()             // GetPolicy's JSON document
                t.column("revisionID", .text).notNull()
                t.primaryKey(["account", "function", "qualifier"])
                t.foreignKey(["account", "function"], references: "function", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v5: execution roles and secrets") { db in
            try db.create(table: "role") { t in
                t.column("account", .text).notNull().references("tenant", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("policy", .text).notNull()             // the role's permissions (IAM JSON)
                t.column("updatedMs", .integer).notNull()
                t.primaryKey(["account", "name"])
            }
            try db.create(table: "secret") { t in
                t.column("account", .text).notNull().references("tenant", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("value", .blob).notNull()
                t.column("updatedMs", .integer).notNull()
                t.primaryKey(["account", "name"])
            }
        }
        migrator.registerMigration("v6: every tenant has the basic execution role") { db in
            for account in try String.fetchAll(db, sql: "SELECT account FROM tenant") {
                try RoleRow.basic(account: account, now: Date()).insert(db, onConflict: .ignore)
            }
        }
        migrator.registerMigration("v7: roles named by functions made before roles were enforced") { db in
            // Those functions ran with no grants; they keep running so. A role of the function's own account
            // that does not exist is made with the basic policy (it grants nothing); a role of another
            // account (which Corral never honours) becomes the function's own corral-basic.
            let tenants = Set(try String.fetchAll(db, sql: "SELECT account FROM tenant"))
            for var row in try VersionRow.fetchAll(db) where tenants.contains(row.account) {
                var settings = try FunctionStore.version(row).settings
                let parts = settings.role.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
                if parts.count == 6, parts[4] == row.account, let name = parts[5].split(separator: "/").last {
                    var role = RoleRow.basic(account: row.account, now: Date())
                    role.name = String(name)
                    try role.insert(db, onConflict: .ignore)
                } else {
                    settings.role = "arn:aws:iam::\(row.account):role/\(TenantStore.basicRole)"
                    row.settings = FunctionStore.encode(settings)
                    try row.update(db)
                }
            }
        }
        migrator.registerMigration("v8: host id blocks of tenants") { db in
            // One block of host uids/gids per account (HostIDPool), kept when the tenant goes: files its
            // sandboxes wrote still carry the ids, so the block is never handed to another tenant.
            try db.create(table: "hostIDBlock") { t in
                t.column("account", .text).primaryKey()
                t.column("firstID", .integer).notNull().unique()
            }
        }
        return migrator
    }
}

/// Row types: the database's view of the public values.
struct FunctionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "function"
    var account: String
    var name: String
    var nextVersion: Int
}

struct VersionRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "functionVersion"
    var account: String
    var name: String
    var version: String
    var number: Int
    var settings: String
    var codeDigest: String
    var codeSha256: String
    var codeSize: Int
    var revisionID: String
    var lastModifiedMs: Int64
}

struct AliasRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "alias"
    var account: String
    var function: String
    var name: String
    var functionVersion: String
    var description: String
    var weights: String
    var revisionID: String
}

struct ReservedConcurrencyRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "reservedConcurrency"
    var account: String
    var function: String
    var reserved: Int
}

struct ProvisionedConcurrencyRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "provisionedConcurrency"
    var account: String
    var function: String
    var qualifier: String
    var requested: Int
    var lastModifiedMs: Int64
}
