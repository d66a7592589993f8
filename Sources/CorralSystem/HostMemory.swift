import Glibc

/// The machine's memory, for capacity defaults.
public enum HostMemory {
    /// Bytes of physical memory (sysconf's page count times the page size).
    /// The corresponding C function is `sysconf`.
    public static func physicalBytes() -> UInt64 {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? UInt64(pages) * UInt64(size) : 1 << 30
    }
}

/// This process's own memory.
public enum ProcessMemory {
    /// Resident set size (VmRSS in /proc/self/status), in bytes; nil if it cannot be read.
    public static func residentBytes() -> UInt64? {
        guard let fd = try? FileDescriptor.open("/proc/self/status", O_RDONLY | O_CLOEXEC) else { return nil }
        defer { FileDescriptor.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        guard let count = try? bytes.withUnsafeMutableBytes({ try FileDescriptor.read(fd, into: $0) }) else { return nil }
        let text = String(decoding: bytes[0..<count], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kB = UInt64(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kB * 1024
    }
}
