import CCorral
#if canImport(Glibc)
import Glibc
#endif

/// Unix stream sockets bound to a path: a listener that is owner-only from the start, its peers'
/// credentials, and the client's side. Every fd is close-on-exec (the server forks sandboxes).
public enum UnixSocket {
    /// The peer of a connected socket, as the kernel recorded it when the peer called `connect`.
    public struct Credentials: Equatable, Sendable {
        public let pid: pid_t
        public let uid: uid_t
        public let gid: gid_t
    }

    /// A listening socket bound at `path` with `mode` (e.g. 0600) from the moment the file exists: the
    /// socket's inode gets `mode` with `fchmod` before `bind` creates the file (Linux applies the socket
    /// inode's mode, less the umask, to the file), so the process umask stays as it is. An existing file
    /// at `path` is removed only when it is a socket that nothing accepts on (a server that died); one
    /// that a server accepts on is EADDRINUSE, anything else EEXIST. The caller closes the fd.
    /// The corresponding C functions are `socket`, `fchmod`, `bind` and `listen`.
    public static func listen(at path: String, mode: mode_t, backlog: Int32 = 16) throws(SystemError) -> Int32 {
        var address = try Self.address(path)
        try removeStale(path)
        let fd = try syscall("socket \(path)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            try syscall("fchmod \(path)") { fchmod(fd, mode) }
            try syscall("bind \(path)") { withSockaddr(&address) { bind(fd, $0, $1) } }
            try syscall("listen \(path)") { Glibc.listen(fd, backlog) }
            return fd
        } catch {
            FileDescriptor.close(fd)
            throw error
        }
    }

    /// Removes `path` when it is a socket nothing accepts on; nothing there is fine.
    static func removeStale(_ path: String) throws(SystemError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw SystemError(stage: "bind \(path) (not a socket)", errno: EEXIST) }
        let probe: Int32
        do {
            probe = try connect(to: path)
        } catch {
            guard error.errno == ECONNREFUSED else { throw error }
            try syscall("unlink \(path)") { unlink(path) }
            return
        }
        FileDescriptor.close(probe)
        throw SystemError(stage: "bind \(path) (a server accepts on it)", errno: EADDRINUSE)
    }

    /// The next connection, close-on-exec. Fails with EINVAL once `shutdown` was called on `fd`.
    /// The corresponding C function is `accept4`.
    public static func accept(_ fd: Int32) throws(SystemError) -> Int32 {
        try syscall("accept") { corral_accept_cloexec(fd) }
    }

    /// A connection to the socket at `path`, close-on-exec. ENOENT: no socket there; ECONNREFUSED: nothing
    /// accepts on it; EACCES: this user may not write it (or search its directory).
    /// The corresponding C functions are `socket` and `connect`.
    public static func connect(to path: String) throws(SystemError) -> Int32 {
        var address = try Self.address(path)
        let fd = try syscall("socket \(path)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            try syscall("connect \(path)") { withSockaddr(&address) { Glibc.connect(fd, $0, $1) } }
            return fd
        } catch {
            FileDescriptor.close(fd)
            throw error
        }
    }

    /// The connected peer's pid, uid and gid. The corresponding C function is `getsockopt(SO_PEERCRED)`.
    public static func peerCredentials(_ fd: Int32) throws(SystemError) -> Credentials {
        // struct ucred: pid, uid, gid (Glibc declares it only under _GNU_SOURCE).
        var fields: (pid_t, uid_t, gid_t) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: fields))
        try syscall("getsockopt SO_PEERCRED") { getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &fields, &length) }
        return Credentials(pid: fields.0, uid: fields.1, gid: fields.2)
    }

    /// Makes reads and writes on `fd` fail with EAGAIN after `seconds` without progress, so a stalled
    /// peer cannot hold the other side forever. The corresponding C function is `setsockopt`.
    public static func setTimeout(_ fd: Int32, seconds: Int) throws(SystemError) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        let length = socklen_t(MemoryLayout<timeval>.size)
        try syscall("setsockopt SO_RCVTIMEO") { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, length) }
        try syscall("setsockopt SO_SNDTIMEO") { setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, length) }
    }

    /// Writes all of `bytes` without raising SIGPIPE when the peer is gone (EPIPE instead).
    /// The corresponding C function is `send(MSG_NOSIGNAL)`.
    public static func send(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let start = offset
            offset += try syscall("send") { bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + start, $0.count - start, Int32(MSG_NOSIGNAL)) } }
        }
    }

    /// Reads until the peer shuts down its side (EOF); more than `limit` bytes is EMSGSIZE.
    /// The corresponding C function is `read`.
    public static func receiveAll(_ fd: Int32, limit: Int) throws(SystemError) -> [UInt8] {
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = try FileDescriptor.read(fd, into: buffer)
            if count == 0 { return result }
            guard result.count + count <= limit else { throw SystemError(stage: "read (more than \(limit) bytes)", errno: EMSGSIZE) }
            result.append(contentsOf: buffer[0..<count])
        }
    }

    /// Ends one or both directions of `fd`: `SHUT_WR` tells the peer the request is complete; `SHUT_RDWR`
    /// on a listener wakes a thread blocked in `accept`. The corresponding C function is `shutdown`.
    public static func shutdown(_ fd: Int32, _ how: Int32) {
        _ = Glibc.shutdown(fd, how)
    }

    /// The file at `path`'s device and inode (nil when there is none), to tell a socket file apart from
    /// one another process made at the same path since. The corresponding C function is `lstat`.
    public static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        FileSystem.identity(of: path, followingSymlinks: false)
    }

    /// `path` as a sockaddr_un; a path that does not fit (107 bytes) is ENAMETOOLONG.
    static func address(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else { throw SystemError(stage: "socket path \(path) (at most \(capacity - 1) bytes)", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        return address
    }

    /// Calls `body` with `address` as the sockaddr pointer and length that bind and connect take.
    static func withSockaddr(_ address: inout sockaddr_un, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
