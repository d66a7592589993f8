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
