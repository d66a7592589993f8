import Crypto
import CorralSystem
import Foundation

/// Code packages on disk, named by their SHA-256: `ROOT/<hex>.zip` and the unpacked tree `ROOT/<hex>/`.
///
/// A package is unpacked once, into a temporary directory renamed into place when complete, so a refused
/// or failed upload leaves nothing behind and a reader never sees half a tree. Trees are read-only
/// (directories 0555, files 0444 or 0555). Identical zips share one entry.
///
/// Every `store` holds its package until `release`: `removeUnused` never removes a held package, so a
/// package being committed for one function cannot be removed as unused by another's deletion.
public struct CodeStore: Sendable {
    public let root: String
    public let limits: PackageLimits
    private let holds = PackageHolds()

    public init(root: String, limits: PackageLimits = PackageLimits()) {
        self.root = root
        self.limits = limits
    }

    /// Checks, stores and unpacks `zip`, or finds it already stored, and holds it: the caller calls
    /// `release(_:)` with its digest once the function naming it is committed (or has failed).
    public func store(zip: [UInt8]) throws(CodePackageError) -> CodePackage {
        let digest = SHA256.hash(data: zip)
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        let package = CodePackage(digest: hex, codeSha256: Data(digest).base64EncodedString(), size: zip.count,
                                  directory: root + "/" + hex)
        // Held before looking: a removal that already decided finishes first (it holds the lock), so the
        // package is either whole here or unpacked anew below.
        let stored = try holds.locked { (held) throws(CodePackageError) -> Bool in
            held[hex, default: 0] += 1
            return FileSystem.isDirectory(package.directory) && FileSystem.exists(zipPath(hex))
        }
        if stored { return package }
        do {
            try unpackAndPublish(zip, as: package)
        } catch {
            holds.release(hex)
            throw error
        }
        return package
    }

    /// Ends the hold `store` took on `digest`.
    public func release(_ digest: String) {
        holds.release(digest)
    }

    /// Digests held by a `store` not yet released.
    public var held: Set<String> { holds.held }

    private func unpackAndPublish(_ zip: [UInt8], as package: CodePackage) throws(CodePackageError) {
        let hex = package.digest
        do {
            try FileSystem.makeDirectories(root)
        } catch {
            throw .host(error)
        }
        let temporary = root + "/.tmp-\(getpid())-\(UUID().uuidString)"
        do throws(CodePackageError) {
            try ZipUnpacker(limits: limits).unpack(zip, into: temporary)
            try publish(temporary, as: package.directory)
            try writeZip(zip, to: zipPath(hex))
        } catch {
            Self.remove(temporary)
            throw error
        }
    }

    /// The stored package `digest` (hex), if present.
    public func package(digest: String) -> CodePackage? {
        let directory = root + "/" + digest
        guard digest.count == 64, digest.allSatisfy(\.isHexDigit), FileSystem.isDirectory(directory),
              let attributes = try? FileManager.default.attributesOfItem(atPath: zipPath(digest)),
              let size = attributes[.size] as? Int,
              let bytes = FileManager.default.contents(atPath: zipPath(digest)) else { return nil }
        return CodePackage(digest: digest, codeSha256: Data(SHA256.hash(data: bytes)).base64EncodedString(), size: size,
                           directory: directory)
    }

    /// Removes the packages among `digests` that are not held and that `inUse` (asked under the lock, after
    /// any hold taken before it) does not name. Returns the digests removed.
    @discardableResult
    public func removeUnused(_ digests: [String], inUse: () -> Set<String>?) -> [String] {
        guard !digests.isEmpty else { return [] }
        return (try? holds.locked { (held) throws(CodePackageError) -> [String] in
            guard let used = inUse() else { return [] }
            let unused = digests.filter { held[$0] == nil && !used.contains($0) }
            for digest in unused { remove(digest: digest) }
            return unused
        }) ?? []
    }

    /// Removes the package `digest` (hex). The caller makes sure no function version still uses it (see
    /// `removeUnused`, which also respects holds).
    public func remove(digest: String) {
        guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else { return }
        try? FileManager.default.removeItem(atPath: zipPath(digest))
        Self.remove(root + "/" + digest)
    }

    func zipPath(_ hex: String) -> String { root + "/" + hex + ".zip" }

    private func publish(_ temporary: String, as directory: String) throws(CodePackageError) {
        do {
            try syscall("rename \(temporary)") { rename(temporary, directory) }
        } catch {
            // The same package was stored meanwhile: keep that one.
            guard FileSystem.isDirectory(directory) else { throw .host(error) }
            Self.remove(temporary)
        }
    }

    private func writeZip(_ zip: [UInt8], to path: String) throws(CodePackageError) {
        let temporary = path + ".tmp-\(getpid())-\(UUID().uuidString)"
        do throws(SystemError) {
            let fd = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o444)
            defer { FileDescriptor.close(fd) }
            let outcome = zip.withUnsafeBytes { p in Result { () throws(SystemError) in try FileDescriptor.writeAll(fd, p) } }
            try outcome.get()
            try syscall("fsync \(temporary)") { fsync(fd) }
            try syscall("rename \(temporary)") { rename(temporary, path) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .host(error)
        }
    }

    /// Removes a tree whose directories were made read-only.
    static func remove(_ path: String) {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return }
        chmod(path, 0o755)
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            let full = path + "/" + relative
            if lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { chmod(full, 0o755) }
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}
