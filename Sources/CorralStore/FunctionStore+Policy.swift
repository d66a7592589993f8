import Foundation
import GRDB

/// Function resource policies (AddPermission, RemovePermission, GetPolicy): one JSON document per
/// function or qualifier, changed only through `changePolicy`, in one transaction with its check.
extension FunctionStore {
    /// The policy document of `function` (unqualified when `qualifier` is nil) and its revision, if any.
    public func policy(account: String, function: String, qualifier: String?) throws(StoreError) -> (json: String, revisionID: String)? {
        try read { db in
            try PolicyRow.fetchOne(db, key: ["account": account, "function": function, "qualifier": qualifier ?? ""]).map { ($0.policy, $0.revisionID) }
        }
    }

    /// Replaces the policy with what `change` makes of the current one (nil: none yet); `.success(nil)`
    /// deletes it, a failure changes nothing and is returned. Refused with a precondition failure when
    /// `revisionID` is given and is not the current one, and not found when the function does not exist.
    public func changePolicy<Failure: Error>(account: String, function: String, qualifier: String?, revisionID: String?,
                                             _ change: @escaping (String?) -> Result<String?, Failure>) throws(StoreError) -> Result<String?, Failure> {
        try write { db in
            guard try FunctionRow.fetchOne(db, key: ["account": account, "name": function]) != nil else {
                throw StoreError.notFound("Function not found: \(function)")
            }
            let key: [String: (any DatabaseValueConvertible)?] = ["account": account, "function": function, "qualifier": qualifier ?? ""]
            let current = try PolicyRow.fetchOne(db, key: key)
            if let revisionID, revisionID != current?.revisionID {
                throw StoreError.preconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id")
            }
            let result = change(current?.policy)
            switch result {
            case let .success(updated?):
                try PolicyRow(account: account, function: function, qualifier: qualifier ?? "", policy: updated,
                              revisionID: UUID().uuidString.lowercased()).save(db)
            case .success(nil):
                _ = try PolicyRow.deleteOne(db, key: key)
            case .failure:
                break
            }
            return result
        }
    }
}

struct PolicyRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "functionPolicy"
    var account: String
    var function: String
    var qualifier: String
    var policy: String
    var revisionID: String
}
