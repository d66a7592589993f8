import CorralSystem
import Foundation
import ZIPFoundation

/// Unpacks a zip into a new directory, refusing anything that could write outside it or exhaust the disk:
/// absolute or `..` paths, symlinks whose target leaves the package, writes through a symlink or over an
/// earlier entry, and more bytes or entries than `limits` allow (counted as they are inflated, not as the
/// zip declares them). On any refusal the caller removes the directory; nothing outside it was touched.
struct ZipUnpacker {
    let limits: PackageLimits

    func unpack(_ zip: [UInt8], into directory: String) throws(CodePackageError) {
        let archive: Archive
        do {
            archive = try Archive(data: Data(zip), accessMode: .read)
        } catch {
            throw .invalidZip("not a readable zip archive")
        }
        let entries = Array(archive)
        guard entries.count <= limits.entries else {
            throw .tooLarge("the package has \(entries.count) entries, more than the \(limits.entries) allowed")
        }
        var declared: UInt64 = 0
        var planned: [(entry: Entry, parts: [String], kind: EntryKind)] = []
        var tree = PackageTree()
        for entry in entries {
            let parts = try Self.components(of: entry.path)
            declared = declared &+ entry.uncompressedSize
            guard !parts.isEmpty else { continue } // "./"
            let kind = try Self.kind(of: entry, in: archive)
            switch kind {
            case .directory: try tree.add(parts, .directory, entry: entry.path)
            case .file: try tree.add(parts, .file, entry: entry.path)
            case let .symlink(target): try tree.add(parts, .symlink(target: target), entry: entry.path)
            }
            planned.append((entry, parts, kind))
        }
        guard declared <= limits.unpackedBytes else {
            throw .tooLarge("the package unpacks to \(declared) bytes, more than the \(limits.unpackedBytes) allowed")
        }
        // Every link resolved against the whole package before anything is written.
        try tree.checkLinks()

        do {
            try FileSystem.makeDirectory(directory, mode: 0o755)
        } catch {
            throw .host(error)
        }
        let rootFD: Int32
        do {
            rootFD = try FileDescriptor.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        } catch {
            throw .host(error)
        }
        defer { FileDescriptor.close(rootFD) }
        var written: UInt64 = 0
        var directories: Set<String> = [""]
        for (entry, parts, kind) in planned {
            switch kind {
            case .directory:
                let fd = try openDirectory(rootFD, parts, entry: entry.path, created: &directories)
                FileDescriptor.close(fd)
            case .file:
                let parent = try openDirectory(rootFD, Array(parts.dropLast()), entry: entry.path, created: &directories)
                defer { FileDescriptor.close(parent) }
                try writeFile(archive, entry, in: parent, name: parts[parts.count - 1], written: &written)
            case let .symlink(target):
                let parent = try openDirectory(rootFD, Array(parts.dropLast()), entry: entry.path, created: &directories)
                defer { FileDescriptor.close(parent) }
                try makeSymlink(target, entry: entry.path, parts: parts, in: parent)
            }
        }
        // Read-only from here on: deepest directories first, so each parent is still writable when needed.
        for relative in directories.sorted(by: { $0.count > $1.count }) {
            let path = relative.isEmpty ? directory : directory + "/" + relative
            do {
                try syscall("chmod \(path)") { chmod(path, 0o555) }
            } catch {
                throw .host(error)
            }
        }
    }

    /// The entry's path as components, with `.` dropped. Refuses absolute paths, `..`, backslashes and NULs.
    static func components(of path: String) throws(CodePackageError) -> [String] {
        guard !path.isEmpty else { throw .invalidZip("an entry has an empty name") }
        guard !path.hasPrefix("/") else { throw .invalidZip("entry '\(path)' is an absolute path") }
        guard !path.contains("\\"), !path.contains("\0") else {
            throw .invalidZip("entry '\(path)' contains a backslash or NUL (paths in a zip use '/')")
        }
        let parts = path.split(separator: "/").map(String.init).filter { $0 != "." }
        guard !parts.contains("..") else { throw .invalidZip("entry '\(path)' climbs out of the package with '..'") }
        guard parts.allSatisfy({ $0.utf8.count <= 255 }) else { throw .invalidZip("entry '\(path)' has a name longer than 255 bytes") }
        return parts
    }

    /// Opens (creating as needed) the directory `parts` under `rootFD` one component at a time, never
    /// following a symlink: a path through a symlink or a file is refused.
    private func openDirectory(_ rootFD: Int32, _ parts: [String], entry: String, created: inout Set<String>) throws(CodePackageError) -> Int32 {
        var fd = dup(rootFD)
        guard fd >= 0 else { throw .host(SystemError(stage: "dup", errno: EMFILE)) }
        var relative = ""
        for part in parts {
            relative = relative.isEmpty ? part : relative + "/" + part
            if mkdirat(fd, part, 0o755) == 0 { created.insert(relative) }
            let next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = next < 0 ? errno : 0
            FileDescriptor.close(fd)
            guard next >= 0 else {
                if failure == ELOOP || failure == ENOTDIR {
                    throw .invalidZip("entry '\(entry)': '\(relative)' is a symlink or a file, not a directory")
                }
                throw .host(SystemError(stage: "open \(relative)", errno: failure))
            }
            fd = next
        }
        return fd
    }

    private func writeFile(_ archive: Archive, _ entry: Entry, in parent: Int32, name: String, written: inout UInt64) throws(CodePackageError) {
        let fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw .invalidZip("entry '\(entry.path)' appears twice or overlaps another entry") }
            throw .host(SystemError(stage: "create \(entry.path)", errno: errno))
        }
        defer { FileDescriptor.close(fd) }
        var failure: CodePackageError?
        var total = written
        let limit = limits.unpackedBytes
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry) { data in
                total += UInt64(data.count)
                if total > limit {
                    failure = .tooLarge("the package inflates past the \(limit) bytes allowed (entry '\(entry.path)')")
                    throw CocoaError(.fileWriteOutOfSpace)
                }
                let outcome = data.withUnsafeBytes { p in Result { () throws(SystemError) in try FileDescriptor.writeAll(fd, p) } }
                if case let .failure(error) = outcome {
                    failure = .host(error)
                    throw error
                }
            }
        } catch {
            throw failure ?? .invalidZip("entry '\(entry.path)' is corrupt")
        }
        guard checksum == entry.checksum else { throw .invalidZip("entry '\(entry.path)' fails its CRC-32 check") }
        written = total
        let permissions = (entry.fileAttributes[.posixPermissions] as? NSNumber)?.uint16Value ?? 0o644
        let mode: mode_t = permissions & 0o111 != 0 ? 0o555 : 0o444
        do {
            try syscall("chmod \(entry.path)") { fchmod(fd, mode) }
        } catch {
            throw .host(error)
        }
    }

    /// What an entry is. A name ending in `/` is a directory whatever its attribute bits say (as unzip and
    /// Python's zipfile read it); a symlink's target is read here, so the whole package can be checked
    /// before anything is written.
    enum EntryKind {
        case directory, file
        case symlink(String)
    }

    static func kind(of entry: Entry, in archive: Archive) throws(CodePackageError) -> EntryKind {
        if entry.path.hasSuffix("/") { return .directory }
        switch entry.type {
        case .directory: return .directory
        case .file: return .file
        case .symlink: return .symlink(try linkTarget(entry, in: archive))
        }
    }

    /// A symlink's target: relative, and not climbing above the package by its text alone (PackageTree
    /// then resolves it through the package's other links).
    static func linkTarget(_ entry: Entry, in archive: Archive) throws(CodePackageError) -> String {
        guard entry.uncompressedSize <= 4096 else { throw .invalidZip("symlink '\(entry.path)' has an unreadable target") }
        var target = Data()
        do {
            _ = try archive.extract(entry) { target.append($0) }
        } catch {
            throw .invalidZip("symlink '\(entry.path)' is corrupt")
        }
        guard let text = String(data: target, encoding: .utf8), !text.isEmpty, !text.contains("\0"), target.count <= 4096 else {
            throw .invalidZip("symlink '\(entry.path)' has an unreadable target")
        }
        guard !text.hasPrefix("/") else { throw .invalidZip("symlink '\(entry.path)' points to an absolute path (\(text))") }
        var depth = entry.path.split(separator: "/").filter { $0 != "." }.count - 1
        for part in text.split(separator: "/") where part != "." {
            depth += part == ".." ? -1 : 1
            guard depth >= 0 else { throw .invalidZip("symlink '\(entry.path)' points outside the package (\(text))") }
        }
        return text
    }

    /// Makes a link already checked (a later entry can never be written through it: parents are opened
    /// O_NOFOLLOW).
    private func makeSymlink(_ target: String, entry: String, parts: [String], in parent: Int32) throws(CodePackageError) {
        guard symlinkat(target, parent, parts[parts.count - 1]) == 0 else {
            if errno == EEXIST { throw .invalidZip("entry '\(entry)' appears twice or overlaps another entry") }
            throw .host(SystemError(stage: "symlink \(entry)", errno: errno))
        }
    }
}
