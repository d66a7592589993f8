import CCorral
#if canImport(Glibc)
import Glibc
#endif

/// A host directory held open (O_PATH) from the moment it was checked, so what lies beneath it is always
/// reached from that same directory, never by a path string someone could redirect.
///
/// Opening walks the path one component at a time from `/` without following any symlink, and refuses a
/// path through a directory that someone other than root could change (`AncestorRule`), as sshd's
/// StrictModes does for its key files. The directory itself may belong to anyone (a tenant writes into its
/// own root); who can rename or replace it is decided by its parent, which the rule covers.
///
/// Beneath the pin, `open(_:)` resolves with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS): a symlink swapped in anywhere below fails the open (ELOOP) instead of leading out.
public final class PinnedDirectory: Sendable, Equatable, CustomStringConvertible {
    /// The path as configured (absolute, normalized, no symlinks in it).
    public let path: String
    public let device: UInt64
    public let inode: UInt64
    /// O_PATH | O_DIRECTORY, close-on-exec; closed with the pin.
    private let fd: Int32

    /// Why a directory cannot be pinned.
    public struct Refusal: Error, CustomStringConvertible, Equatable, Sendable {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    private init(path: String, fd: Int32, device: UInt64, inode: UInt64) {
        self.path = path
        self.fd = fd
        self.device = device
        self.inode = inode
    }

    deinit { FileDescriptor.close(fd) }

    public static func == (a: PinnedDirectory, b: PinnedDirectory) -> Bool {
        a.path == b.path && a.device == b.device && a.inode == b.inode
    }

    public var description: String { path }

    /// Opens `path` strictly: absolute and normalized, no component a symlink, every directory above it
    /// owned by root and writable by nobody else (or sticky, holding a root-owned entry: /var/tmp), and
    /// the path itself a directory.
    public static func pin(_ path: String) throws(Refusal) -> PinnedDirectory {
        let (fd, info) = try walk(path)
        return PinnedDirectory(path: path, fd: fd, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Checks that `path` still leads, strictly, to the directory pinned: a root moved aside and replaced
    /// (even by a real directory) is refused.
    public func verify() throws(Refusal) {
        let (walked, info) = try Self.walk(path)
        FileDescriptor.close(walked)
        guard UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode else {
            throw Refusal(path: path, reason: "is no longer the directory Corral pinned at start-up (device \(device), inode \(inode)); it was moved or replaced, so grants under it are refused until the server restarts")
        }
        var held = stat()
        guard fstat(fd, &held) == 0, held.st_nlink > 0 else {
            throw Refusal(path: path, reason: "the pinned directory was removed")
        }
    }

    /// Opens `relative` (a path below the pin, no leading `/`; empty for the pin itself) with `flags`
    /// (O_PATH typically), resolved beneath the pin without following any symlink. The caller closes it.
    public func open(_ relative: String, flags: Int32 = FileDescriptor.pathOnly) throws(SystemError) -> Int32 {
        let name = relative.isEmpty ? "." : relative
        return try syscall("open \(path)/\(relative) beneath its root without following symlinks") {
            corral_open_beneath(fd, name, flags)
        }
    }

    /// `absolute` relative to the pin, or nil when it does not lie on or under it.
    public func relative(_ absolute: String) -> String? {
        if absolute == path { return "" }
        let base = path == "/" ? "/" : path + "/"
        guard absolute.hasPrefix(base) else { return nil }
        return String(absolute.dropFirst(base.count))
    }

    private static func walk(_ path: String) throws(Refusal) -> (Int32, stat) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/"), path == "/" || components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw Refusal(path: path, reason: "must be an absolute path without '.', '..', '//' or a trailing '/'")
        }
        var current = Glibc.open("/", FileDescriptor.pathOnly | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw Refusal(path: path, reason: "cannot open /") }
        var info = stat()
        _ = fstat(current, &info)
        var walked = ""
        for component in path == "/" ? [] : Array(components) {
            let next: Int32
            do throws(SystemError) {
                next = try syscall("open") { corral_open_beneath(current, String(component), FileDescriptor.pathOnly | O_DIRECTORY) }
            } catch {
                FileDescriptor.close(current)
                let what = error.errno == ELOOP ? "is a symlink (roots are never reached through one)"
                    : error.errno == ENOTDIR ? "is not a directory" : error.errno == ENOENT ? "does not exist" : "cannot be opened (errno \(error.errno))"
                throw Refusal(path: path, reason: "\(walked)/\(component) \(what)")
            }
            var nextInfo = stat()
            _ = fstat(next, &nextInfo)
            // `current` is the parent of `next`: it decides who may rename or replace `next`.
            if let problem = AncestorRule.problem(parent: info, child: nextInfo) {
                FileDescriptor.close(current)
                FileDescriptor.close(next)
                throw Refusal(path: path, reason: "\(walked.isEmpty ? "/" : walked) \(problem), so someone other than root could replace \(walked)/\(component)")
            }
            FileDescriptor.close(current)
            current = next
            info = nextInfo
            walked += "/" + component
        }
        return (current, info)
    }
}

/// Who may change a directory on the way to a pinned one.
public enum AncestorRule {
    /// Nil when only root can rename or replace `child` inside `parent`; else what is wrong with `parent`.
    /// A sticky, world-writable parent (/tmp, /var/tmp) is accepted when the child belongs to root: others
    /// may add entries there but cannot rename or remove root's.
    public static func problem(parent: stat, child: stat) -> String? {
        if parent.st_uid != 0 { return "belongs to uid \(parent.st_uid), not root" }
        let writableByOthers = parent.st_mode & (S_IWGRP | S_IWOTH) != 0
        guard writableByOthers else { return nil }
        if parent.st_mode & S_ISVTX != 0 && child.st_uid == 0 { return nil }
        return "is writable by group or others (mode \(String(parent.st_mode & 0o7777, radix: 8)))"
    }
}
