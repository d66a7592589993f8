#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// What a host path is, without following a final symlink.
enum PathKind: Equatable, Sendable {
    case missing
    case directory
    case file
    case symlink(target: String)
    case other
}

/// The seam between the mount plan and the host's filesystem, so plans are tested on made-up trees.
protocol PathInspector: Sendable {
    func kind(of path: String) -> PathKind
    /// The path with every symlink resolved, or nil when it does not exist.
    func resolved(_ path: String) -> String?
}

/// The real filesystem.
struct HostPathInspector: PathInspector {
    func kind(of path: String) -> PathKind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG, S_IFCHR: return .file
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink(path, &buffer, buffer.count - 1)
            return .symlink(target: n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "")
        default: return .other
        }
    }

    func resolved(_ path: String) -> String? {
        FileSystem.realPath(path)
    }
}
