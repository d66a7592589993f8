import GRDB

extension FunctionStore {
    /// What an account holds, for its quotas: its functions, and the bytes of code of all their versions
    /// ($LATEST included; a package shared by versions counts for each, as Lambda's code storage does).
    public func usage(account: String) throws(StoreError) -> (functions: Int, codeBytes: Int) {
        try read { db in
            let functions = try FunctionRow.filter(Column("account") == account).fetchCount(db)
            let bytes = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(codeSize), 0) FROM functionVersion WHERE account = ?", arguments: [account]) ?? 0
            return (functions, bytes)
        }
    }
}
