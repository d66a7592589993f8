#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// Everything the cgroup backends ask of the kernel. `LinuxCgroupKernel` is the real one; unit tests supply a
/// fake that plays the kernel over a temporary directory and records each write and signal.
protocol CgroupKernel: Sendable {
    func read(_ path: String) throws(SystemError) -> String
    /// Writes `value` in one `write(2)`, as kernel interface files require.
    func write(_ value: String, to path: String) throws(SystemError)
    func exists(_ path: String) -> Bool
    /// True when `path` is a directory (following symlinks, as v1 hierarchy links need).
    func isDirectory(_ path: String) -> Bool
    /// Names in a directory, without "." and "..".
    func list(_ path: String) throws(SystemError) -> [String]
    /// Creates a directory; EEXIST is an error.
    func makeDirectory(_ path: String) throws(SystemError)
    func removeDirectory(_ path: String) throws(SystemError)
    /// Sends `signal` to `pid`, ignoring ESRCH (the process is already gone).
    func signal(_ pid: Int32, _ signal: Int32)
    /// Waits a little between polls of a file the kernel updates asynchronously.
    func pause(milliseconds: Int)
}

/// The real kernel, through CorralSystem's errno funnel.
struct LinuxCgroupKernel: CgroupKernel {
    func read(_ path: String) throws(SystemError) -> String { try FileSystem.read(path) }
    func write(_ value: String, to path: String) throws(SystemError) { try FileSystem.write(value, to: path) }
    func exists(_ path: String) -> Bool { FileSystem.exists(path) }
    func isDirectory(_ path: String) -> Bool { FileSystem.isDirectory(path) }
    func list(_ path: String) throws(SystemError) -> [String] { try FileSystem.list(path) }
    func makeDirectory(_ path: String) throws(SystemError) { try FileSystem.makeDirectory(path) }
    func removeDirectory(_ path: String) throws(SystemError) { try FileSystem.removeDirectory(path) }

    /// The corresponding C function is `kill`.
    func signal(_ pid: Int32, _ signal: Int32) {
        guard pid > 0 else { return }  // 0 and negative values would signal process groups
        _ = try? syscall("kill \(pid)") { Glibc.kill(pid, signal) }
    }

    /// The corresponding C function is `nanosleep`.
    func pause(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 { request = remaining }
    }
}

extension CgroupKernel {
    /// Reads a file, or `nil` when it is missing or unreadable (stats are best effort).
    func readIfPresent(_ path: String) -> String? {
        try? read(path)
    }

    /// The subdirectories of `path` (child groups, leaving out interface files), sorted; empty when `path`
    /// is missing or unreadable.
    func subdirectories(_ path: String) -> [String] {
        ((try? list(path)) ?? []).filter { isDirectory(path + "/" + $0) }.sorted()
    }

    /// Writes `value` only when the file exists (optional kernel features such as `memory.swap.max`).
    func writeIfPresent(_ value: String, to path: String) throws(SystemError) {
        if exists(path) { try write(value, to: path) }
    }
}
