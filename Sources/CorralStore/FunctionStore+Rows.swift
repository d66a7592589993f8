import CorralFunctions
import Foundation
import GRDB

/// Row-level helpers of FunctionStore: conversions, lookups and the transaction wrappers.
extension FunctionStore {
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try store.read(body)
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        // Emptied after the commit (and on failure too: cheap, and never wrong).
        defer { versions.invalidate() }
        return try store.write(body)
    }

    /// Changes `$LATEST` under a RevisionId precondition, with a new revision and modification time.
    func updateLatest(account: String, name: String, revisionID: String?, now: Date, _ change: @escaping (inout VersionRow) -> Void) throws(StoreError) -> FunctionVersion {
        try write { db in
            var row = try Self.latestRow(db, account: account, name: name)
            if let revisionID, revisionID != row.revisionID {
                throw StoreError.preconditionFailed("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
            }
            change(&row)
            row.revisionID = Self.newRevision()
            row.lastModifiedMs = Self.milliseconds(now)
            try row.update(db)
            return try Self.version(row)
        }
    }

    /// Lambda shows times to the millisecond; storing whole milliseconds makes a read equal the write.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    static func newRevision() -> String { UUID().uuidString.lowercased() }

    static func encode(_ settings: FunctionSettings) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(settings)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decodeWeights(_ text: String) -> [String: Double] {
        (try? JSONDecoder().decode([String: Double].self, from: Data(text.utf8))) ?? [:]
    }

    static func row(account: String, name: String, version: String, number: Int, settings: FunctionSettings,
                    code: CodeReference, now: Date) throws -> VersionRow {
        VersionRow(account: account, name: name, version: version, number: number, settings: encode(settings),
                   codeDigest: code.digest, codeSha256: code.sha256, codeSize: code.size, revisionID: newRevision(), lastModifiedMs: milliseconds(now))
    }

    static func version(_ row: VersionRow) throws -> FunctionVersion {
        let settings = try JSONDecoder().decode(FunctionSettings.self, from: Data(row.settings.utf8))
        return FunctionVersion(account: row.account, name: row.name, version: row.version, settings: settings,
                               code: CodeReference(digest: row.codeDigest, sha256: row.codeSha256, size: row.codeSize),
                               revisionID: row.revisionID, lastModified: Date(timeIntervalSince1970: Double(row.lastModifiedMs) / 1000))
    }

    static func alias(_ row: AliasRow) -> FunctionAlias {
        FunctionAlias(account: row.account, function: row.function, name: row.name, functionVersion: row.functionVersion,
                      description: row.description, additionalVersionWeights: decodeWeights(row.weights), revisionID: row.revisionID)
    }

    static func aliasRow(_ alias: FunctionAlias) -> AliasRow {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let weights = String(decoding: (try? encoder.encode(alias.additionalVersionWeights)) ?? Data("{}".utf8), as: UTF8.self)
        return AliasRow(account: alias.account, function: alias.function, name: alias.name, functionVersion: alias.functionVersion,
                        description: alias.description, weights: weights, revisionID: alias.revisionID)
    }

    static func latestRow(_ db: Database, account: String, name: String) throws -> VersionRow {
        guard let row = try VersionRow.fetchOne(db, key: ["account": account, "name": name, "version": latest]) else {
            throw StoreError.notFound("Function not found: \(name)")
        }
        return row
    }

    static func resolve(_ db: Database, account: String, name: String, qualifier: String?) throws -> FunctionVersion {
        let qualifier = qualifier ?? latest
        if qualifier == latest || FunctionNames.isVersionNumber(qualifier) {
            guard let row = try VersionRow.fetchOne(db, key: ["account": account, "name": name, "version": qualifier]) else {
                throw StoreError.notFound("Function not found: \(name)" + (qualifier == latest ? "" : ":\(qualifier)"))
            }
            return try version(row)
        }
        guard let alias = try AliasRow.fetchOne(db, key: ["account": account, "function": name, "name": qualifier]),
              let row = try VersionRow.fetchOne(db, key: ["account": account, "name": name, "version": alias.functionVersion]) else {
            throw StoreError.notFound("Function not found: \(name):\(qualifier)")
        }
        return try version(row)
    }

    /// Publishes `$LATEST` as the next number (inside the caller's transaction).
    static func publish(_ db: Database, account: String, name: String, description: String?, now: Date) throws -> VersionRow {
        guard var function = try FunctionRow.fetchOne(db, key: ["account": account, "name": name]) else {
            throw StoreError.notFound("Function not found: \(name)")
        }
        let latestRow = try latestRow(db, account: account, name: name)
        var settings = try version(latestRow).settings
        if let description { settings.description = description }
        var row = latestRow
        row.version = String(function.nextVersion)
        row.number = function.nextVersion
        row.settings = encode(settings)
        row.revisionID = newRevision()
        row.lastModifiedMs = Self.milliseconds(now)
        try row.insert(db)
        function.nextVersion += 1
        try function.update(db)
        return row
    }

    /// Whether a published version's settings equal `$LATEST`'s, ignoring the description a publish may set.
    static func sameSettings(_ published: String, _ latest: String, description: String?) -> Bool {
        guard var a = try? JSONDecoder().decode(FunctionSettings.self, from: Data(published.utf8)),
              var b = try? JSONDecoder().decode(FunctionSettings.self, from: Data(latest.utf8)) else { return false }
        a.description = ""
        b.description = ""
        return a == b
    }

    /// An alias may point at `$LATEST` or a published version, and route extra weight to one other
    /// published version.
    static func checkTargets(_ db: Database, _ alias: FunctionAlias) throws {
        _ = try latestRow(db, account: alias.account, name: alias.function)
        for version in [alias.functionVersion] + alias.additionalVersionWeights.keys.sorted() {
            guard try VersionRow.fetchOne(db, key: ["account": alias.account, "name": alias.function, "version": version]) != nil else {
                throw StoreError.notFound("Function not found: \(alias.function):\(version)")
            }
        }
    }
}
