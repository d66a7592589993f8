import CCorral
#if canImport(Glibc)
import Glibc
#endif

/// Thin fd helpers over the syscall funnel.
public enum FileDescriptor {
    /// O_PATH (Linux): an fd naming a file without opening it. Glibc declares it only under _GNU_SOURCE,
    /// which Swift does not see.
    public static let pathOnly: Int32 = 0o10_000_000

    /// A pipe with both ends close-on-exec. The corresponding C function is `pipe2`.
    public static func pipe() throws(SystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try syscall("pipe2") { corral_pipe_cloexec(&fds) }
        return (fds[0], fds[1])
    }

    /// Opens `path` with close-on-exec. The corresponding C function is `open`.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(SystemError) -> Int32 {
        try syscall("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Reads up to `count` bytes; 0 at EOF. The corresponding C function is `read`.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Writes all of `buffer`, looping over short writes. The corresponding C function is `write`.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < buffer.count {
            let n = try syscall("write") { Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            offset += n
        }
    }

    /// Closes `fd`, ignoring errors (Linux always releases the fd). The corresponding C function is `close`.
    public static func close(_ fd: Int32) {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Sets or clears O_NONBLOCK. The corresponding C function is `fcntl`.
    public static func setNonBlocking(_ fd: Int32, _ on: Bool = true) throws(SystemError) {
        let flags = try syscall("fcntl F_GETFL") { fcntl(fd, F_GETFL) }
        try syscall("fcntl F_SETFL") { fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) }
    }
}
