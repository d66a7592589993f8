import CorralFunctions
import CorralStore
import Foundation
import Testing

@Suite struct FunctionStoreTests {
    final class Scratch {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-store-\(UUID().uuidString)").path
        var path: String { directory + "/corral.sqlite" }
        init() { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        func open() throws -> FunctionStore { try FunctionStore(path: path) }
        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    let account = "123456789012"
    let settings = FunctionSettings(runtime: "python3.11", handler: "app.handler", role: "arn:aws:iam::123456789012:role/r")
    let codeA = CodeReference(digest: String(repeating: "a", count: 64), sha256: "A=", size: 10)
    let codeB = CodeReference(digest: String(repeating: "b", count: 64), sha256: "B=", size: 20)

    @Test("create, read back, refuse a second create, and keep everything across a reopen")
    func createAndReopen() throws {
        let scratch = Scratch()
        let store = try scratch.open()
        let created = try store.createFunction(account: account, name: "f", settings: settings, code: codeA, publish: true)
        #expect(created.map(\.version) == ["$LATEST", "1"])
        #expect(created[0].revisionID != created[1].revisionID)
        #expect(throws: StoreError.conflict("Function already exist: f")) {
            try store.createFunction(account: account, name: "f", settings: settings, code: codeB, publish: false)
        }
        // Another account's function of the same name is a different function.
        _ = try store.createFunction(account: "210987654321", name: "f", settings: settings, code: codeB, publish: false)
        let reopened = try scratch.open()
        let latest = try reopened.version(account: account, name: "f", qualifier: nil)
        #expect(latest == created[0])
        #expect(try reopened.version(account: account, name: "f", qualifier: "1") == created[1])
        #expect(try reopened.version(account: "210987654321", name: "f", qualifier: nil).code == codeB)
        #expect(throws: StoreError.notFound("Function not found: f:2")) { try reopened.version(account: account, name: "f", qualifier: "2") }
        #expect(throws: StoreError.notFound("Function not found: g")) { try reopened.version(account: account, name: "g", qualifier: nil) }
    }

    @Test("resolved versions are cached, and every kind of write makes the next read see it")
    func cacheFollowsWrites() throws {
        let scratch = Scratch()
        let store = try scratch.open()
        _ = try store.createFunction(account: account, name: "f", settings: settings, code: codeA, publish: true)
        let first = try store.version(account: account, name: "f", qualifier: nil) // cached now
        let updated = try store.updateCode(account: account, name: "f", code: codeB, revisionID: nil)
        #expect(try store.version(account: account, name: "f", qualifier: nil) == updated)
        #expect(updated.revisionID != first.revisionID)
        _ = try store.createAlias(FunctionAlias(account: account, function: "f", name: "live", functionVersion: "1", revisionID: UUID().uuidString))
        #expect(try store.version(account: account, name: "f", qualifier: "live").version == "1")
        _ = try store.publishVersion(account: account, name: "f", codeSha256: nil, revisionID: nil, description: nil)
        _ = try store.updateAlias(account: account, function: "f", name: "live", revisionID: nil) { $0.functionVersion = "2" }
        #expect(try store.version(account: account, name: "f", qualifier: "live").version == "2", "the alias moved")
        _ = try store.delete(account: account, name: "f")
        #expect(throws: StoreError.notFound("Function not found: f")) { try store.version(account: account, name: "f", qualifier: nil) }
    }

    @Test("ListFunctions pages by name with Marker and MaxItems, one account only")
    func listing() throws {
        let scratch = Scratch()
        let store = try scratch.open()
        for name in ["e", "b", "d", "a", "c"] {
            _ = try store.createFunction(account: account, name: name, settings: settings, code: codeA, publish: false)
        }
        _ = try store.createFunction(account: "210987654321", name: "zz", settings: settings, code: codeA, publish: false)
        var names: [String] = []
        var marker: String?
        var pages = 0
        repeat {
            let page = try store.listFunctions(account: account, marker: marker, maxItems: 2)
            names += page.items.map(\.name)
            marker = page.nextMarker
            pages += 1
        } while marker != nil
        #expect(names == ["a", "b", "c", "d", "e"])
        #expect(pages == 3)
    }

    @Test("updates change the revision and honour a RevisionId precondition")
    func updates() throws {
        let scratch = Scratch()
        let store = try scratch.open()
        let first = try store.createFunction(account: account, name: "f", settings: settings, code: codeA, publish: false)[0]
        let recoded = try store.updateCode(account: account, name: "f", code: codeB, revisionID: first.revisionID)
        #expect(recoded.code == codeB && recoded.revisionID != first.revisionID)
        #expect(throws: StoreError.self) { try store.updateCode(account: account, name: "f", code: codeA, revisionID: first.revisionID) }
        var bigger = settings
        bigger.memorySize = 512
        let reconfigured = try store.updateSettings(account: account, name: "f", settings: bigger, revisionID: nil)
        #expect(reconfigured.settings.memorySize == 512 && reconfigured.code == codeB)
        #expect(throws: StoreError.notFound("Function not found: nope")) { try store.updateSettings(account: account, name: "nope", settings: bigger, revisionID: nil) }
    }

    @Test("PublishVersion numbers versions, returns the newest when nothing changed, and checks CodeSha256")
    func publishing() throws {
        let scratch = Scratch()
        let store = try scratch.open()
        _ = try store.createFunction(account: account, name: "f", settings: settings, code: codeA, publish: false)
        let v1 = try store.publishVersion(account: account, name: "f", codeSha256: nil, revisionID: nil, description: "first")
        #expect(v1.version == "1" && v1.settings.description == "first")
        let again = try store.publishVersion(account: account, name: "f", codeSha256: "A=", revisionID: nil, description: nil)
        #expect(again == v1)
        #expect(throws: StoreError.self) { try store.publishVersion(account: account, name: "f", codeSha256: "B=", revisionID: nil, description: nil) }
        _ = try store.updateCode(account: account, name: "f", code: codeB, revisionID: nil)
        let v2 = try store.publishVersion(account: account, name: "f", codeSha256: nil, revisionID: nil, description: nil)
        #expect(v2.version == "2" && v2.code == codeB)
        let versions = try store.listVersions(account: account, name: "f", marker: nil, maxItems: 2)
        #expect(versions.items.map(\.version) == ["$LATEST", "1"] && versions.nextMarker == "1")
        let rest = try store.listVersions(account: account, name: "f", marker: versions.nextMarker, maxItems: 2)
        #expect(rest.items.map(\.version) == ["2"] && rest.nextMarker == nil)
    }

    @Test("aliases: create, weights to a second version, precondition, and what deletion may remove")
    func aliases() throws {
        let scratch = Scratch()
        let store = try scratch.open()
        _ = try store.createFunction(account: account, name: "f", settings: settings, code: codeA, publish: true)
        _ = try store.updateCode(account: account, name: "f", code: codeB, revisionID: nil)
        _ = try store.publishVersion(account: account, name: "f", codeSha256: nil, revisionID: nil, description: nil)
        let live = try store.createAlias(FunctionAlias(account: account, function: "f", name: "live", functionVersion: "1",
                                                       additionalVersionWeights: ["2": 0.25], revisionID: ""))
        #expect(!live.revisionID.isEmpty)
        #expect(throws: StoreError.conflict("Alias already exists: live")) {
            try store.createAlias(FunctionAlias(account: account, function: "f", name: "live", functionVersion: "1", revisionID: ""))
        }
        #expect(throws: StoreError.notFound("Function not found: f:9")) {
            try store.createAlias(FunctionAlias(account: account, function: "f", name: "bad", functionVersion: "9", revisionID: ""))
        }
        #expect(try store.version(account: account, name: "f", qualifier: "live").version == "1")
        #expect(throws: StoreError.self) { try store.updateAlias(account: account, function: "f", name: "live", revisionID: "stale") { $0.functionVersion = "2" } }
        let moved = try store.updateAlias(account: account, function: "f", name: "live", revisionID: live.revisionID) {
            $0.functionVersion = "2"
            $0.additionalVersionWeights = [:]
        }
        #expect(moved.functionVersion == "2" && moved.revisionID != live.revisionID)
        #expect(try store.alias(account: account, function: "f", name: "live") == moved)
        #expect(try store.listAliases(account: account, function: "f", functionVersion: "2", marker: nil, maxItems: 10).items == [moved])
        // Version 2 is in use by the alias; version 1 is not any more.
        #expect(throws: StoreError.conflict("Unable to delete version because the following aliases reference it: [live]")) {
            try store.delete(account: account, name: "f", version: "2")
        }
        // Version 1 held the only copy of code A: the caller may now drop that package.
        #expect(try store.delete(account: account, name: "f", version: "1") == [codeA.digest])
        try store.deleteAlias(account: account, function: "f", name: "live")
        try store.deleteAlias(account: account, function: "f", name: "live") // absent: still fine
        let freed = try store.delete(account: account, name: "f")
        #expect(freed == [codeB.digest])
        #expect(try store.codeDigestsInUse().isEmpty)
        #expect(throws: StoreError.notFound("Function not found: f")) { try store.alias(account: account, function: "f", name: "live") }
    }
}
