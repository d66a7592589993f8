import Foundation
import GRDB

/// A provisioned concurrency configuration as stored: how many environments of the version or alias
/// `qualifier` names are to be kept initialized.
public struct ProvisionedConcurrency: Equatable, Sendable {
    public var account: String
    public var function: String
    public var qualifier: String
    public var requested: Int
    public var lastModified: Date
}

/// Reserved and provisioned concurrency settings (PutFunctionConcurrency, PutProvisionedConcurrencyConfig).
extension FunctionStore {
    /// Sets the function's reserved concurrency.
    public func putReservedConcurrency(account: String, function: String, _ reserved: Int) throws(StoreError) {
        try write { db in
            _ = try Self.latestRow(db, account: account, name: function)
            try ReservedConcurrencyRow(account: account, function: function, reserved: reserved).save(db)
        }
    }

    /// The function's reserved concurrency, nil when none is set.
    public func reservedConcurrency(account: String, function: String) throws(StoreError) -> Int? {
        try read { db in
            _ = try Self.latestRow(db, account: account, name: function)
            return try ReservedConcurrencyRow.fetchOne(db, key: ["account": account, "function": function])?.reserved
        }
    }

    public func deleteReservedConcurrency(account: String, function: String) throws(StoreError) {
        try write { db in
            _ = try Self.latestRow(db, account: account, name: function)
            _ = try ReservedConcurrencyRow.deleteOne(db, key: ["account": account, "function": function])
        }
    }

    /// Every function's reserved concurrency (the server loads them at start).
    public func allReservedConcurrency() throws(StoreError) -> [(account: String, function: String, reserved: Int)] {
        try read { db in try ReservedConcurrencyRow.fetchAll(db).map { ($0.account, $0.function, $0.reserved) } }
    }

    /// Sets (or replaces) the configuration on `qualifier`, which must name a published version or an alias.
    public func putProvisionedConcurrency(account: String, function: String, qualifier: String, requested: Int,
                                          now: Date = Date()) throws(StoreError) -> ProvisionedConcurrency {
        try write { db in
            _ = try Self.resolve(db, account: account, name: function, qualifier: qualifier)
            let row = ProvisionedConcurrencyRow(account: account, function: function, qualifier: qualifier, requested: requested,
                                                lastModifiedMs: Int64(now.timeIntervalSince1970 * 1000))
            try row.save(db)
            return Self.provisioned(row)
        }
    }

    public func provisionedConcurrency(account: String, function: String, qualifier: String) throws(StoreError) -> ProvisionedConcurrency? {
        try read { db in
            _ = try Self.latestRow(db, account: account, name: function)
            return try ProvisionedConcurrencyRow.fetchOne(db, key: ["account": account, "function": function, "qualifier": qualifier]).map(Self.provisioned)
        }
    }

    /// Deletes the configuration; returns whether there was one.
    public func deleteProvisionedConcurrency(account: String, function: String, qualifier: String) throws(StoreError) -> Bool {
        try write { db in
            _ = try Self.latestRow(db, account: account, name: function)
            return try ProvisionedConcurrencyRow.deleteOne(db, key: ["account": account, "function": function, "qualifier": qualifier])
        }
    }

    /// The function's configurations (every account's and function's when both are nil), by qualifier.
    public func listProvisionedConcurrency(account: String? = nil, function: String? = nil) throws(StoreError) -> [ProvisionedConcurrency] {
        try read { db in
            var request = ProvisionedConcurrencyRow.all()
            if let account, let function {
                _ = try Self.latestRow(db, account: account, name: function)
                request = request.filter(Column("account") == account && Column("function") == function)
            }
            return try request.order(Column("account"), Column("function"), Column("qualifier")).fetchAll(db).map(Self.provisioned)
        }
    }

    static func provisioned(_ row: ProvisionedConcurrencyRow) -> ProvisionedConcurrency {
        ProvisionedConcurrency(account: row.account, function: row.function, qualifier: row.qualifier, requested: row.requested,
                               lastModified: Date(timeIntervalSince1970: Double(row.lastModifiedMs) / 1000))
    }

    /// Configurations on a version or alias that is deleted go with it.
    static func dropProvisioned(_ db: Database, account: String, function: String, qualifier: String) throws {
        _ = try ProvisionedConcurrencyRow.deleteOne(db, key: ["account": account, "function": function, "qualifier": qualifier])
    }
}
