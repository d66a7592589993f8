import CorralFunctions
import Foundation
import GRDB

/// Functions, their versions and aliases, per account, in SQLite (WAL) through GRDB.
///
/// Every method is one transaction, so a failed call changes nothing. Safe to use from any thread.
public final class FunctionStore: Sendable {
    let store: StoreDatabase
    let versions = VersionCache()

    /// Functions in `database` (shared with the other stores).
    public init(database: StoreDatabase) {
        store = database
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public convenience init(path: String) throws(StoreError) {
        self.init(database: try StoreDatabase(path: path))
    }

    static let latest = "$LATEST"

    // MARK: Functions

    /// Creates `name` with its `$LATEST`, and version 1 too when `publish`. Returns what was created,
    /// `$LATEST` first.
    public func createFunction(account: String, name: String, settings: FunctionSettings, code: CodeReference,
                               publish: Bool, now: Date = Date()) throws(StoreError) -> [FunctionVersion] {
        try write { db in
            guard try FunctionRow.fetchOne(db, key: ["account": account, "name": name]) == nil else {
                throw StoreError.conflict("Function already exist: \(name)")
            }
            try FunctionRow(account: account, name: name, nextVersion: 1).insert(db)
            let latest = try Self.row(account: account, name: name, version: Self.latest, number: 0, settings: settings, code: code, now: now)
            try latest.insert(db)
            var created = [latest]
            if publish { created.append(try Self.publish(db, account: account, name: name, description: nil, now: now)) }
            return try created.map(Self.version)
        }
    }

    /// The version a qualifier names: `$LATEST` when nil, a number, or the alias's primary version.
    public func version(account: String, name: String, qualifier: String?) throws(StoreError) -> FunctionVersion {
        let key = VersionCache.Key(account: account, name: name, qualifier: qualifier)
        let (cached, generation) = versions.lookup(key)
        if let cached { return cached }
        let version = try read { db in try Self.resolve(db, account: account, name: name, qualifier: qualifier) }
        versions.store(version, for: key, readAt: generation)
        return version
    }

    /// `$LATEST` of each function, by name, `maxItems` (1...50) after `marker`.
    public func listFunctions(account: String, marker: String?, maxItems: Int) throws(StoreError) -> Page<FunctionVersion> {
        try read { db in
            var request = VersionRow.filter(Column("account") == account && Column("version") == Self.latest)
            if let marker { request = request.filter(Column("name") > marker) }
            let rows = try request.order(Column("name")).limit(maxItems + 1).fetchAll(db)
            let page = Array(rows.prefix(maxItems))
            return Page(items: try page.map(Self.version), nextMarker: rows.count > maxItems ? page.last?.name : nil)
        }
    }

    /// Replaces `$LATEST`'s code. `revisionID`, when given, must be `$LATEST`'s current one.
    public func updateCode(account: String, name: String, code: CodeReference, revisionID: String?, now: Date = Date()) throws(StoreError) -> FunctionVersion {
        try updateLatest(account: account, name: name, revisionID: revisionID, now: now) { $0.codeDigest = code.digest; $0.codeSha256 = code.sha256; $0.codeSize = code.size }
    }

    /// Replaces `$LATEST`'s settings (already merged and validated by the caller).
    public func updateSettings(account: String, name: String, settings: FunctionSettings, revisionID: String?, now: Date = Date()) throws(StoreError) -> FunctionVersion {
        let encoded = Self.encode(settings)
        return try updateLatest(account: account, name: name, revisionID: revisionID, now: now) { $0.settings = encoded }
    }

    /// Deletes the whole function (every version and alias), or one published version when `version` is
    /// given; a version an alias uses is kept (conflict). Returns the code digests no longer referenced by
    /// this function, so the caller can drop packages nothing else uses.
    public func delete(account: String, name: String, version: String? = nil) throws(StoreError) -> [String] {
        try write { db in
            guard try FunctionRow.fetchOne(db, key: ["account": account, "name": name]) != nil else {
                throw StoreError.notFound("Function not found: \(name)")
            }
            let before = Set(try String.fetchAll(db, sql: "SELECT codeDigest FROM functionVersion WHERE account = ? AND name = ?", arguments: [account, name]))
            if let version {
                guard try VersionRow.fetchOne(db, key: ["account": account, "name": name, "version": version]) != nil else {
                    throw StoreError.notFound("Function not found: \(name):\(version)")
                }
                let users = try AliasRow.filter(Column("account") == account && Column("function") == name).fetchAll(db)
                    .filter { $0.functionVersion == version || Self.decodeWeights($0.weights)[version] != nil }.map(\.name)
                guard users.isEmpty else {
                    throw StoreError.conflict("Unable to delete version because the following aliases reference it: [\(users.sorted().joined(separator: ", "))]")
                }
                _ = try VersionRow.deleteOne(db, key: ["account": account, "name": name, "version": version])
                try Self.dropProvisioned(db, account: account, function: name, qualifier: version)
            } else {
                _ = try FunctionRow.deleteOne(db, key: ["account": account, "name": name])
            }
            let after = Set(try String.fetchAll(db, sql: "SELECT codeDigest FROM functionVersion WHERE account = ? AND name = ?", arguments: [account, name]))
            return before.subtracting(after).sorted()
        }
    }

    /// Whether some version of one of `account`'s functions uses the package `digest`.
    public func accountUsesCode(account: String, digest: String) throws(StoreError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM functionVersion WHERE account = ? AND codeDigest = ?)", arguments: [account, digest]) ?? false
        }
    }

    /// Every code digest any version of any function uses.
    public func codeDigestsInUse() throws(StoreError) -> Set<String> {
        try read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT codeDigest FROM functionVersion")) }
    }

    // MARK: Versions

    /// Publishes `$LATEST` as the next version number. When `$LATEST` equals the newest published version
    /// (same code and settings), that version is returned instead, as Lambda does.
    public func publishVersion(account: String, name: String, codeSha256: String?, revisionID: String?, description: String?,
                               now: Date = Date()) throws(StoreError) -> FunctionVersion {
        try write { db in
            let latest = try Self.latestRow(db, account: account, name: name)
            if let codeSha256, codeSha256 != latest.codeSha256 {
                throw StoreError.preconditionFailed("CodeSha256 (\(codeSha256)) does not match the function's code (\(latest.codeSha256))")
            }
            if let revisionID, revisionID != latest.revisionID {
                throw StoreError.preconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
            }
            if let newest = try VersionRow.filter(Column("account") == account && Column("name") == name && Column("number") > 0)
                .order(Column("number").desc).fetchOne(db),
                newest.codeSha256 == latest.codeSha256, Self.sameSettings(newest.settings, latest.settings, description: description) {
                return try Self.version(newest)
            }
            return try Self.version(try Self.publish(db, account: account, name: name, description: description, now: now))
        }
    }

    /// `$LATEST` then the published versions in order, `maxItems` after `marker`.
    public func listVersions(account: String, name: String, marker: String?, maxItems: Int) throws(StoreError) -> Page<FunctionVersion> {
        try read { db in
            _ = try Self.latestRow(db, account: account, name: name)
            var request = VersionRow.filter(Column("account") == account && Column("name") == name)
            if let marker, let number = marker == Self.latest ? 0 : Int(marker) { request = request.filter(Column("number") > number) }
            let rows = try request.order(Column("number")).limit(maxItems + 1).fetchAll(db)
            let page = Array(rows.prefix(maxItems))
            return Page(items: try page.map(Self.version), nextMarker: rows.count > maxItems ? page.last?.version : nil)
        }
    }

    // MARK: Aliases

    public func createAlias(_ alias: FunctionAlias) throws(StoreError) -> FunctionAlias {
        try write { db in
            try Self.checkTargets(db, alias)
            guard try AliasRow.fetchOne(db, key: ["account": alias.account, "function": alias.function, "name": alias.name]) == nil else {
                throw StoreError.conflict("Alias already exists: \(alias.name)")
            }
            var created = alias
            created.revisionID = Self.newRevision()
            try Self.aliasRow(created).insert(db)
            return created
        }
    }

    public func alias(account: String, function: String, name: String) throws(StoreError) -> FunctionAlias {
        try read { db in
            _ = try Self.latestRow(db, account: account, name: function)
            guard let row = try AliasRow.fetchOne(db, key: ["account": account, "function": function, "name": name]) else {
                throw StoreError.notFound("Alias not found: \(name)")
            }
            return Self.alias(row)
        }
    }

    /// Applies `change` to the alias; `revisionID`, when given, must be the alias's current one.
    public func updateAlias(account: String, function: String, name: String, revisionID: String?,
                            _ change: (inout FunctionAlias) -> Void) throws(StoreError) -> FunctionAlias {
        try write { db in
            _ = try Self.latestRow(db, account: account, name: function)
            guard let row = try AliasRow.fetchOne(db, key: ["account": account, "function": function, "name": name]) else {
                throw StoreError.notFound("Alias not found: \(name)")
            }
            if let revisionID, revisionID != row.revisionID {
                throw StoreError.preconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
            }
            var alias = Self.alias(row)
            change(&alias)
            alias.revisionID = Self.newRevision()
            try Self.checkTargets(db, alias)
            try Self.aliasRow(alias).update(db)
            return alias
        }
    }

    /// Deletes the alias; deleting one that does not exist is not an error (Lambda answers 204 too).
    public func deleteAlias(account: String, function: String, name: String) throws(StoreError) {
        try write { db in
            _ = try AliasRow.deleteOne(db, key: ["account": account, "function": function, "name": name])
            try Self.dropProvisioned(db, account: account, function: function, qualifier: name)
        }
    }

    public func listAliases(account: String, function: String, functionVersion: String?, marker: String?, maxItems: Int) throws(StoreError) -> Page<FunctionAlias> {
        try read { db in
            _ = try Self.latestRow(db, account: account, name: function)
            var request = AliasRow.filter(Column("account") == account && Column("function") == function)
            if let functionVersion { request = request.filter(Column("functionVersion") == functionVersion) }
            if let marker { request = request.filter(Column("name") > marker) }
            let rows = try request.order(Column("name")).limit(maxItems + 1).fetchAll(db)
            let page = Array(rows.prefix(maxItems))
            return Page(items: page.map(Self.alias), nextMarker: rows.count > maxItems ? page.last?.name : nil)
        }
    }
}
