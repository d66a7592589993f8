/// A read-only directory whose files exist only in the sandbox's memory: the child mounts a small tmpfs
/// there (nosuid, nodev, noexec), writes the files into it before the command runs, and makes it
/// read-only. Nothing of it touches the host's disk, so a supervisor crash leaves nothing behind, and its
/// pages are charged to the sandbox's own memory limit. Secrets reach functions this way (/run/secrets).
public struct MemoryDirectory: Sendable, Equatable {
    /// Where it appears inside the sandbox (absolute, normalized).
    public var path: String
    /// File name -> contents. Names are single path components.
    public var files: [String: [UInt8]]

    public init(path: String, files: [String: [UInt8]]) {
        self.path = path
        self.files = files
    }

    /// Directory mode 0500 and file mode 0400: for root inside the sandbox only.
    static let directoryMode = "0500"
    static let fileMode: UInt32 = 0o400

    /// The tmpfs's size: every file rounded up to whole pages, plus one page.
    var tmpfsBytes: Int {
        files.values.reduce(4096) { $0 + max(1, ($1.count + 4095) / 4096) * 4096 }
    }

    func validate() throws(SandboxSpecError) {
        guard SandboxPath.isNormalizedAbsolute(path), path != "/" else {
            throw .invalid("memory directory", "'\(path)' must be an absolute path without '.', '..' or '//'")
        }
        for reserved in SandboxPath.reserved + ["/tmp"] where SandboxPath.isSameOrUnder(path, reserved) {
            throw .invalid("memory directory", "'\(path)' is under \(reserved), which the sandbox manages")
        }
        for name in files.keys {
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0), name.utf8.count <= 255 else {
                throw .invalid("memory directory", "'\(name)' cannot be a file name")
            }
        }
    }

    /// The child's operations, after the directory's mount point exists: the tmpfs, the files (sorted by
    /// name), then the read-only remount.
    var operations: [MountOperation] {
        let relative = SandboxPath.relative(path)
        var ops: [MountOperation] = [
            .tmpfs(on: relative, options: "size=\(tmpfsBytes),nr_inodes=\(files.count + 8),mode=\(Self.directoryMode)", [.noSUID, .noDev, .noExec]),
        ]
        for name in files.keys.sorted() {
            ops.append(MountOperation(kind: .file, destination: relative + "/" + name, data: files[name] ?? [], mode: Self.fileMode))
        }
        ops.append(MountOperation(kind: .remountReadOnly, destination: relative))
        return ops
    }
}
