import Foundation
import GRDB

/// Tenants and their access keys, in the shared database. Every method is one transaction.
public final class TenantStore: Sendable {
    let store: StoreDatabase
    /// activeKey's answers, kept briefly: every API request asks, and a SQLite read each time cost a
    /// quarter of the server's CPU. Emptied by every key or tenant change made through this store (a
    /// running server's `corral admin` commands come through its own); a change made on the database by
    /// another process is seen within `keyCacheSeconds`.
    private let keyCache = KeyCache()
    public static let keyCacheSeconds = 2.0

    public init(database: StoreDatabase) {
        store = database
    }

    // MARK: Tenants

    /// Creates a tenant. `account` is drawn at random (12 digits, not yet used) unless given.
    public func createTenant(name: String, account: String? = nil, quotas: TenantQuotas = TenantQuotas(), now: Date = Date()) throws(StoreError) -> Tenant {
        guard Tenant.isValidName(name) else {
            throw .invalid("tenant name '\(name)' must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit")
        }
        if let account, !Tenant.isValidAccount(account) { throw .invalid("account id '\(account)' must be 12 digits") }
        defer { keyCache.removeAll() }
        return try store.write { db in
            guard try TenantRow.filter(Column("name") == name).fetchOne(db) == nil else { throw StoreError.conflict("tenant \(name) exists") }
            var id = account
            if let account, try TenantRow.fetchOne(db, key: account) != nil { throw StoreError.conflict("account \(account) exists") }
            while id == nil {
                let candidate = String(format: "%012llu", UInt64.random(in: 100_000_000_000...999_999_999_999))
                if try TenantRow.fetchOne(db, key: candidate) == nil { id = candidate }
            }
            let tenant = Tenant(account: id ?? "", name: name, quotas: quotas, created: Self.millisecondPrecision(now))
            try TenantRow(tenant).insert(db)
            try RoleRow.basic(account: tenant.account, now: now).insert(db)
            return tenant
        }
    }

    public func tenants() throws(StoreError) -> [Tenant] {
        try store.read { db in try TenantRow.order(Column("name")).fetchAll(db).map { try $0.tenant() } }
    }

    /// The tenant with this name or account id.
    public func tenant(_ nameOrAccount: String) throws(StoreError) -> Tenant {
        let found = try store.read { db in
            try TenantRow.filter(Column("name") == nameOrAccount || Column("account") == nameOrAccount).fetchOne(db)?.tenant()
        }
        guard let found else { throw .notFound("no tenant \(nameOrAccount)") }
        return found
    }

    public func setQuotas(_ nameOrAccount: String, _ quotas: TenantQuotas) throws(StoreError) -> Tenant {
        var tenant = try tenant(nameOrAccount)
        tenant.quotas = quotas
        let updated = tenant
        defer { keyCache.removeAll() }
        try store.write { db in try TenantRow(updated).update(db) }
        return tenant
    }

    // MARK: Access keys

    /// A new key of `account` with its secret (shown once: only the authenticator reads it again).
    public func createKey(account: String, user: String? = nil, policy: String? = nil, id: String, secret: String,
                          now: Date = Date()) throws(StoreError) -> AccessKey {
        if let user, !Tenant.isValidName(user) {
            throw .invalid("user name '\(user)' must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit")
        }
        let key = AccessKey(id: id, account: account, user: user, policy: policy, created: Self.millisecondPrecision(now), revoked: nil)
        defer { keyCache.removeAll() }
        try store.write { db in
            guard try TenantRow.fetchOne(db, key: account) != nil else { throw StoreError.notFound("no tenant with account \(account)") }
            guard try KeyRow.fetchOne(db, key: id) == nil else { throw StoreError.conflict("access key \(id) exists") }
            try KeyRow(key, secret: secret).insert(db)
        }
        return key
    }

    /// Keys of `account` (revoked ones too, marked), oldest first; every tenant's when nil.
    public func keys(account: String? = nil) throws(StoreError) -> [AccessKey] {
        try store.read { db in
            var request = KeyRow.order(Column("createdMs"), Column("id"))
            if let account { request = request.filter(Column("account") == account) }
            return try request.fetchAll(db).map(\.key)
        }
    }

    /// Revokes a key: from now on requests signed with it are refused as unknown.
    public func revokeKey(_ id: String, now: Date = Date()) throws(StoreError) -> AccessKey {
        defer { keyCache.removeAll() }
        return try store.write { db in
            guard var row = try KeyRow.fetchOne(db, key: id) else { throw StoreError.notFound("no access key \(id)") }
            if row.revokedMs == nil { row.revokedMs = Int64(now.timeIntervalSince1970 * 1000) }
            try row.update(db)
            return row.key
        }
    }

    /// The secret and key of an active (not revoked) access key: what SigV4 verification needs.
    public func activeKey(_ id: String) throws(StoreError) -> (key: AccessKey, secret: String)? {
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        if let cached = keyCache.lookup(id, now: now, maxAge: Self.keyCacheSeconds) { return cached.value }
        let found = try store.read { db -> (key: AccessKey, secret: String)? in
            guard let row = try KeyRow.fetchOne(db, key: id), row.revokedMs == nil else { return nil }
            return (row.key, row.secret)
        }
        keyCache.store(id, found, at: now)
        return found
    }

    static func millisecondPrecision(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}

struct TenantRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tenant"
    var account: String
    var name: String
    var quotas: String
    var createdMs: Int64

    init(_ tenant: Tenant) {
        account = tenant.account
        name = tenant.name
        quotas = String(decoding: (try? JSONEncoder().encode(tenant.quotas)) ?? Data("{}".utf8), as: UTF8.self)
        createdMs = Int64(tenant.created.timeIntervalSince1970 * 1000)
    }

    func tenant() throws -> Tenant {
        Tenant(account: account, name: name, quotas: try JSONDecoder().decode(TenantQuotas.self, from: Data(quotas.utf8)),
               created: Date(timeIntervalSince1970: Double(createdMs) / 1000))
    }
}

struct KeyRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "accessKey"
    var id: String
    var account: String
    var secret: String
    var user: String?
    var policy: String?
    var createdMs: Int64
    var revokedMs: Int64?

    init(_ key: AccessKey, secret: String) {
        id = key.id
        account = key.account
        self.secret = secret
        user = key.user
        policy = key.policy
        createdMs = Int64(key.created.timeIntervalSince1970 * 1000)
        revokedMs = key.revoked.map { Int64($0.timeIntervalSince1970 * 1000) }
    }

    var key: AccessKey {
        AccessKey(id: id, account: account, user: user, policy: policy, created: Date(timeIntervalSince1970: Double(createdMs) / 1000),
                  revoked: revokedMs.map { Date(timeIntervalSince1970: Double($0) / 1000) })
    }
}

/// Access keys looked up recently (unknown ids too, so a stream of bad keys does not reach SQLite).
final class KeyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (value: (key: AccessKey, secret: String)?, at: Double)] = [:]
    private let limit = 10_000

    func lookup(_ id: String, now: Double, maxAge: Double) -> (value: (key: AccessKey, secret: String)?, at: Double)? {
        lock.withLock {
            guard let entry = entries[id], now - entry.at < maxAge else { return nil }
            return entry
        }
    }

    func store(_ id: String, _ value: (key: AccessKey, secret: String)?, at now: Double) {
        lock.withLock {
            if entries.count >= limit { entries.removeAll() }
            entries[id] = (value, now)
        }
    }

    func removeAll() { lock.withLock { entries.removeAll() } }
}
