import Foundation
import GRDB

/// A tenant's execution roles (a name and an IAM policy document, which a function's Role names) and its
/// secrets (named values a role can grant with secrets:Get). CorralAPI's ExecutionRoles compiles them into
/// sandboxes.
extension TenantStore {
    /// The role each tenant is created with; it grants the sandbox nothing.
    public static let basicRole = "corral-basic"
    public static let basicRolePolicy = #"{"Version":"2012-10-17","Statement":[{"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#

    /// Creates or replaces the role `name` of `account`. The caller has checked the document.
    public func putRole(account: String, name: String, policy: String, now: Date = Date()) throws(StoreError) {
        try Self.checkName(name, of: "role")
        try store.write { db in
            guard try TenantRow.fetchOne(db, key: account) != nil else { throw StoreError.notFound("no tenant with account \(account)") }
            try RoleRow(account: account, name: name, policy: policy, updatedMs: Int64(now.timeIntervalSince1970 * 1000)).save(db)
        }
    }

    /// The role's policy document.
    public func role(account: String, name: String) throws(StoreError) -> String {
        let found = try store.read { db in try RoleRow.fetchOne(db, key: ["account": account, "name": name])?.policy }
        guard let found else { throw .notFound("no role \(name) in account \(account)") }
        return found
    }

    /// The names of the account's roles, sorted.
    public func roles(account: String) throws(StoreError) -> [String] {
        try store.read { db in try RoleRow.filter(Column("account") == account).order(Column("name")).fetchAll(db).map(\.name) }
    }

    public func deleteRole(account: String, name: String) throws(StoreError) {
        let deleted = try store.write { db in try RoleRow.deleteOne(db, key: ["account": account, "name": name]) }
        if !deleted { throw .notFound("no role \(name) in account \(account)") }
    }

    /// Creates or replaces the secret `name` of `account` (at most 64 KiB, as /run/secrets files will be).
    public func putSecret(account: String, name: String, value: [UInt8], now: Date = Date()) throws(StoreError) {
        try Self.checkName(name, of: "secret")
        guard value.count <= 64 << 10 else { throw .invalid("secret \(name) is \(value.count) bytes; at most 65536") }
        try store.write { db in
            guard try TenantRow.fetchOne(db, key: account) != nil else { throw StoreError.notFound("no tenant with account \(account)") }
            try SecretRow(account: account, name: name, value: Data(value), updatedMs: Int64(now.timeIntervalSince1970 * 1000)).save(db)
        }
    }

    /// The names of the account's secrets, sorted (values are read only to grant them).
    public func secrets(account: String) throws(StoreError) -> [String] {
        try store.read { db in try SecretRow.filter(Column("account") == account).order(Column("name")).fetchAll(db).map(\.name) }
    }

    /// The values of the account's secrets named in `names` (those that exist), to write into a sandbox.
    public func secretValues(account: String, names: [String]) throws(StoreError) -> [String: [UInt8]] {
        guard !names.isEmpty else { return [:] }
        let rows = try store.read { db in
            try SecretRow.filter(Column("account") == account && names.contains(Column("name"))).fetchAll(db)
        }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.name, [UInt8]($0.value)) })
    }

    public func deleteSecret(account: String, name: String) throws(StoreError) {
        let deleted = try store.write { db in try SecretRow.deleteOne(db, key: ["account": account, "name": name]) }
        if !deleted { throw .notFound("no secret \(name) in account \(account)") }
    }

    /// Role and secret names: IAM's role-name characters (letters, digits, `+=,.@_-`), 1-64.
    static func checkName(_ name: String, of kind: String) throws(StoreError) {
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "+=,.@_-".unicodeScalars.contains($0) }
        guard (1...64).contains(name.count), allowed else {
            throw .invalid("\(kind) name '\(name)' must be 1-64 of letters, digits and +=,.@_-")
        }
    }
}

struct RoleRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "role"
    var account: String
    var name: String
    var policy: String
    var updatedMs: Int64

    /// The role every tenant starts with (TenantStore.basicRole): like Lambda's basic execution role it
    /// allows writing logs, which Corral does anyway, so its sandboxes reach nothing but the Runtime API.
    static func basic(account: String, now: Date) -> RoleRow {
        RoleRow(account: account, name: TenantStore.basicRole, policy: TenantStore.basicRolePolicy, updatedMs: Int64(now.timeIntervalSince1970 * 1000))
    }
}

struct SecretRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "secret"
    var account: String
    var name: String
    var value: Data
    var updatedMs: Int64
}
