import GRDB

/// Each account's block of host uids and gids (the sandbox's identities, HostIDPool in CorralSandbox),
/// given once and kept for good.
extension TenantStore {
    /// The first id of `account`'s block: the one recorded, or else the first of `starts` no account
    /// holds, recorded in the same transaction. Throws when every block is taken.
    public func hostIDBlock(account: String, choosingFrom starts: [UInt32]) throws(StoreError) -> UInt32 {
        try store.write { db in
            if let recorded = try Int64.fetchOne(db, sql: "SELECT firstID FROM hostIDBlock WHERE account = ?", arguments: [account]) {
                return UInt32(truncatingIfNeeded: recorded)
            }
            let taken = Set(try Int64.fetchAll(db, sql: "SELECT firstID FROM hostIDBlock"))
            guard let free = starts.first(where: { !taken.contains(Int64($0)) }) else {
                throw StoreError.invalid("every block of host ids is taken (\(taken.count) accounts hold one): widen tenantIds in the server configuration")
            }
            try db.execute(sql: "INSERT INTO hostIDBlock (account, firstID) VALUES (?, ?)", arguments: [account, Int64(free)])
            return free
        }
    }

    /// Every recorded block, by account.
    public func hostIDBlocks() throws(StoreError) -> [String: UInt32] {
        try store.read { db in
            var blocks: [String: UInt32] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT account, firstID FROM hostIDBlock") {
                blocks[row["account"]] = UInt32(truncatingIfNeeded: row["firstID"] as Int64)
            }
            return blocks
        }
    }
}
