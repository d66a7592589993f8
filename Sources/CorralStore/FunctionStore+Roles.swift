import Foundation
import GRDB

extension FunctionStore {
    /// Every version of `account`'s functions ($LATEST and published ones) with the execution role it
    /// names (an ARN): which warm environments a changed role or secret concerns.
    public func versionRoles(account: String) throws(StoreError) -> [(function: String, version: String, role: String)] {
        try read { db in
            try VersionRow.filter(Column("account") == account).order(Column("name"), Column("number")).fetchAll(db).map { row in
                (row.name, row.version, try Self.version(row).settings.role)
            }
        }
    }
}
