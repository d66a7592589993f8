import CorralCode
import Crypto
import Foundation
import Testing

@Suite struct CodeStoreTests {
    /// A fresh store under a temporary directory, removed afterwards.
    final class Scratch {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("corral-code-\(UUID().uuidString)").path
        var store: CodeStore { CodeStore(root: path + "/code", limits: PackageLimits(unpackedBytes: 1 << 20, entries: 50)) }
        /// Everything under the store's root (hidden temporaries included).
        var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path + "/code")) ?? [] }
        deinit {
            if let all = FileManager.default.enumerator(atPath: path) {
                while let name = all.nextObject() as? String { chmod(path + "/" + name, 0o755) }
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("a package is stored by its SHA-256, unpacked read-only, with executables and inner symlinks kept")
    func storesAndUnpacks() throws {
        let scratch = Scratch()
        let zip = try ZipBuilder.make([
            .directory("lib/"), .file("app.py", "def handler(e, c): return e\n"), .file("lib/util.py", "X = 1\n"),
            .file("bootstrap", "#!/bin/sh\n", executable: true), .symlink("lib/current", to: "../app.py"),
        ])
        let package = try scratch.store.store(zip: zip)
        let digest = SHA256.hash(data: zip)
        #expect(package.codeSha256 == Data(digest).base64EncodedString())
        #expect(package.digest == digest.map { String(format: "%02x", $0) }.joined())
        #expect(package.size == zip.count)
        #expect(package.directory == scratch.path + "/code/" + package.digest)
        #expect(try String(contentsOfFile: package.directory + "/lib/util.py", encoding: .utf8) == "X = 1\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: package.directory + "/lib/current") == "../app.py")
        func mode(_ relative: String) -> mode_t {
            var info = stat()
            lstat(package.directory + relative, &info)
            return info.st_mode & 0o7777
        }
        #expect(mode("") == 0o555 && mode("/lib") == 0o555)
        #expect(mode("/app.py") == 0o444 && mode("/bootstrap") == 0o555)
        #expect(Set(scratch.leftovers) == [package.digest, package.digest + ".zip"])
        // The same zip again is the same package; nothing new is written.
        #expect(try scratch.store.store(zip: zip) == package)
        #expect(scratch.leftovers.count == 2)
        #expect(scratch.store.package(digest: package.digest) == package)
        scratch.store.remove(digest: package.digest)
        #expect(scratch.leftovers.isEmpty)
    }

    @Test("unsafe entries are refused as invalid zips and leave nothing on disk", arguments: [
        ("../evil.py", [ZipBuilder.Item.file("../evil.py", "x")]),
        ("/etc/evil", [.file("/etc/evil", "x")]),
        ("a/../../evil", [.file("a/../../evil", "x")]),
        ("backslash", [.file("a\\..\\evil", "x")]),
        ("absolute symlink", [.symlink("etc", to: "/etc")]),
        ("escaping symlink", [.directory("a/"), .symlink("a/up", to: "../../outside")]),
        ("write through a symlink", [.symlink("lib", to: "."), .file("lib/x.py", "x")]),
        ("file over a directory path", [.file("a", "x"), .file("a/b", "y")]),
        ("duplicate", [.file("a.py", "x"), .file("a.py", "y")]),
        // Each link alone stays inside by its text; through the other it leaves the package.
        ("link chain", [.symlink("a/b/c/q", to: "../../.."), .symlink("a/b/c/e", to: "q/../../../x")]),
        ("link chain, the climbing link first", [.symlink("a/b/c/e", to: "q/../../../x"), .symlink("a/b/c/q", to: "../../..")]),
        ("link chain through a directory link", [.symlink("top", to: "."), .symlink("d/up", to: "../top/.."), .file("d/f", "x")]),
        ("link loop", [.symlink("a", to: "b"), .symlink("b", to: "a")]),
    ])
    func refusesUnsafeEntries(_ label: String, _ items: [ZipBuilder.Item]) throws {
        let scratch = Scratch()
        let zip = try ZipBuilder.make(items)
        #expect(throws: CodePackageError.self, "\(label)") { try scratch.store.store(zip: zip) }
        do {
            _ = try scratch.store.store(zip: zip)
        } catch {
            guard case .invalidZip = error else { Issue.record("\(label): \(error)"); return }
        }
        #expect(scratch.leftovers.isEmpty, "\(label): \(scratch.leftovers)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/evil.py"))
    }

    @Test("links through the package's own links are kept when they stay inside (the chain's oracle)")
    func innerLinkChains() throws {
        let scratch = Scratch()
        // The same shapes as the refused chains, one level shallower: they land inside the package.
        let zip = try ZipBuilder.make([
            .symlink("a/b/c/q", to: "../.."), .symlink("a/b/c/e", to: "q/b/c/../f"), .file("a/b/f", "inside\n"),
        ])
        let package = try scratch.store.store(zip: zip)
        #expect(try String(contentsOfFile: package.directory + "/a/b/c/e", encoding: .utf8) == "inside\n")
    }

    @Test("an entry whose name ends in / is a directory whatever its attribute bits (a wheel repacked with Python's zipfile)")
    func directoryByName() throws {
        let scratch = Scratch()
        let zip = try ZipBuilder.make([.fileNamedAsDirectory("awslambdaric/"), .file("awslambdaric/__init__.py", "X = 1\n")])
        let package = try scratch.store.store(zip: zip)
        #expect(FileSystemProbe.isDirectory(package.directory + "/awslambdaric"))
        #expect(try String(contentsOfFile: package.directory + "/awslambdaric/__init__.py", encoding: .utf8) == "X = 1\n")
    }

    @Test("a file that is not a zip is an invalid zip")
    func notAZip() {
        let scratch = Scratch()
        #expect(throws: CodePackageError.invalidZip("not a readable zip archive")) { try scratch.store.store(zip: Array("hello".utf8)) }
        #expect(scratch.leftovers.isEmpty)
    }

    @Test("zip bombs: too many entries, too many declared bytes, and headers that lie about their size")
    func bombs() throws {
        let scratch = Scratch()
        let manyEntries = try ZipBuilder.make((0..<51).map { .file("f\($0)", "x") })
        let declaredLarge = try ZipBuilder.make([.zeros("zeros", 2 << 20)])
        let lying = ZipBuilder.lyingAboutSizes(declaredLarge, size: 100)
        for (label, zip) in [("entries", manyEntries), ("declared", declaredLarge), ("lying", lying)] {
            do {
                _ = try scratch.store.store(zip: zip)
                Issue.record("\(label): stored")
            } catch {
                guard case .tooLarge = error else { Issue.record("\(label): \(error)"); continue }
            }
            #expect(scratch.leftovers.isEmpty, "\(label): \(scratch.leftovers)")
        }
        // Oracle: the same content within the limit is accepted.
        _ = try scratch.store.store(zip: try ZipBuilder.make([.zeros("zeros", 512 << 10)]))
    }
}

extension CodeStoreTests {
    @Test("a stored package is held until released: removing unused packages skips it, then removes it (the oracle)")
    func heldPackagesSurviveRemoval() throws {
        let scratch = Scratch()
        let store = scratch.store // one store: holds belong to an instance and its copies
        let zip = try ZipBuilder.make([.file("app.py", "def handler(e, c): return e\n")])
        let first = try store.store(zip: zip)
        let second = try store.store(zip: zip) // another tenant's create of the same zip
        #expect(first.digest == second.digest && store.held == [first.digest])
        // One tenant deletes its function: the package is unused by any row, but still held by a create.
        #expect(store.removeUnused([first.digest], inUse: { [] }).isEmpty)
        store.release(first.digest)
        #expect(store.removeUnused([first.digest], inUse: { [] }).isEmpty, "still held by the second store")
        #expect(store.package(digest: first.digest) != nil)
        // A package a row names is kept whatever the holds.
        store.release(second.digest)
        #expect(store.held.isEmpty)
        #expect(store.removeUnused([first.digest], inUse: { [first.digest] }).isEmpty)
        // Oracle: released and unused, it is removed, so the checks above could have failed.
        #expect(store.removeUnused([first.digest], inUse: { [] }) == [first.digest])
        #expect(store.package(digest: first.digest) == nil)
    }
}

enum FileSystemProbe {
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }
}
