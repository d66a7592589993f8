#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers over the syscall funnel, for kernel interface files (cgroups, /proc).
public enum FileSystem {
    /// Writes `contents` to an existing file in one `write(2)`, as kernel interface files require.
    /// The corresponding C functions are `open` and `write`.
    public static func write(_ contents: String, to path: String) throws(SystemError) {
        let fd = try syscall("open \(path)") { open(path, O_WRONLY | O_CLOEXEC) }
        defer { close(fd) }
        var bytes = Array(contents.utf8)
        let count = bytes.count
        let written = try syscall("write \(path)") { bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, count) } }
        if written != count { throw SystemError(stage: "write \(path) (short write)", errno: EIO) }
    }

    /// Reads a whole (small) file as UTF-8. The corresponding C functions are `open` and `read`.
    public static func read(_ path: String) throws(SystemError) -> String {
        let fd = try syscall("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try syscall("read \(path)") { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4096) } }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// True when `path` exists (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// `path` with every symlink resolved and `.`/`..` removed; nil when it does not exist (or cannot be
    /// resolved). The C function is `realpath`.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The device and inode of the file at `path` (nil when there is none), to tell it apart from a file
    /// put at the same path since. The C functions are `stat` and `lstat` (without `followingSymlinks`).
    public static func identity(of path: String, followingSymlinks: Bool = true) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard (followingSymlinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// True when `path` is a directory (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates a directory; an existing directory is not an error when `existOK`. The C function is `mkdir`.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755, existOK: Bool = false) throws(SystemError) {
        if mkdir(path, mode) == 0 { return }
        let code = Glibc.errno
        if code == EEXIST && existOK { return }
        throw SystemError(stage: "mkdir \(path)", errno: code)
    }

    /// Creates `path` and any missing parents (`mkdir -p`); existing ones are fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            try makeDirectory(prefix, mode: mode, existOK: true)
        }
    }

    /// Removes an empty directory (a cgroup, say). The corresponding C function is `rmdir`.
    public static func removeDirectory(_ path: String) throws(SystemError) {
        try syscall("rmdir \(path)") { rmdir(path) }
    }

    /// Names in a directory, without "." and "..".
    public static func list(_ path: String) throws(SystemError) -> [String] {
        let dir = try syscallPointer("opendir \(path)") { opendir(path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
