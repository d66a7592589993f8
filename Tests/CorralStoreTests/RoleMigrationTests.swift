import CorralFunctions
import Foundation
import GRDB
import Testing
@testable import CorralStore

/// Migration v7: functions made before execution roles were enforced keep running as they did (with no
/// grants) once a function's Role must name one of its account's roles.
@Suite struct RoleMigrationTests {
    @Test("a missing role of the function's own account is made with the basic policy; another account's role becomes corral-basic")
    func legacyRoles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-migration-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/corral.sqlite"
        let account = "111122223333"
        let code = CodeReference(digest: String(repeating: "a", count: 64), sha256: "A=", size: 10)
        do {
            let pool = try DatabasePool(path: path)
            try Schema.migrator.migrate(pool, upTo: "v6: every tenant has the basic execution role")
            try pool.write { db in
                try TenantRow(Tenant(account: account, name: "acme", created: Date())).insert(db)
                try RoleRow.basic(account: account, now: Date()).insert(db)
                for (name, role) in [("own", "arn:aws:iam::\(account):role/service-role/legacy"), ("foreign", "arn:aws:iam::000000000000:role/bench"),
                                     ("basic", "arn:aws:iam::\(account):role/corral-basic")] {
                    try FunctionRow(account: account, name: name, nextVersion: 1).insert(db)
                    let settings = FunctionSettings(runtime: "python3.11", handler: "app.handler", role: role)
                    try FunctionStore.row(account: account, name: name, version: "$LATEST", number: 0, settings: settings, code: code, now: Date()).insert(db)
                }
            }
        }
        let database = try StoreDatabase(path: path)
        let tenants = TenantStore(database: database)
        let functions = FunctionStore(database: database)
        #expect(try tenants.roles(account: account) == ["corral-basic", "legacy"])
        #expect(try tenants.role(account: account, name: "legacy") == TenantStore.basicRolePolicy)
        let roles = Dictionary(uniqueKeysWithValues: try functions.versionRoles(account: account).map { ($0.function, $0.role) })
        #expect(roles == ["own": "arn:aws:iam::\(account):role/service-role/legacy", "foreign": "arn:aws:iam::\(account):role/corral-basic",
                          "basic": "arn:aws:iam::\(account):role/corral-basic"])
    }
}
