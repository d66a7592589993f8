import Crypto
import CorralSystem
import Foundation

/// Code packages on disk, named by their SHA-256: `ROOT/<hex>.zip` and the unpacked tree `ROOT/<hex>/`.
///
/// A package is unpacked once, into a temporary directory renamed into place when complete, so a refused
/// or failed upload leaves nothing behind and a reader never sees half a tree. Trees are read-only
/// (directories 0555, files 0444 or 0555). Identical zips share one entry.
public struct CodeStore: Sendable {
    public let root: String
    public let limits: PackageLimits

    public init(root: String, limits: PackageLimits = PackageLimits()) {
        self.root = root
        self.limits = limits
    }

    /// Checks, stores and unpacks `zip`, or finds it already stored.
    public func store(zip: [UInt8]) throws(CodePackageError) -> CodePackage {
        let digest = SHA256.hash(data: zip)
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        let package = CodePackage(digest: hex, codeSha256: Data(digest).base64EncodedString(), size: zip.count,
                                  directory: root + "/" + hex)
        if FileSystem.isDirectory(package.directory) && FileSystem.exists(zipPath(hex)) { return package }
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
        return package
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

    /// Removes the package `digest` (hex). The caller makes sure no function version still uses it.
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
