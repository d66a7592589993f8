#if canImport(Glibc)
import Glibc
#endif
import CorralSystem

/// What differs between cgroup v1 and v2. `Cgroup` forwards to one of the two implementations.
protocol CgroupBackend: Sendable {
    /// Every directory of the group, in creation order (one per v1 hierarchy, or the single v2 directory).
    var directories: [String] { get }
    /// The v2 directory, for clone3's CLONE_INTO_CGROUP; nil on v1.
    var unifiedPath: String? { get }
    func applyLimits(_ limits: CgroupLimits) throws(SystemError)
    func attach(pid: Int32) throws(SystemError)
    func stats() -> CgroupStats
    /// The peak of memory use alone (one file: cheaper than `stats` when that is all the caller needs).
    func peakMemoryBytes() -> UInt64?
    func processIDs() -> [Int32]
    /// One round of killing: signals every process once. Returns when the round is done; the caller polls.
    func killRound() throws(SystemError)
}

/// Bounds for the polling loops, in rounds of `pollMilliseconds`.
enum CgroupTiming {
    static let pollMilliseconds = 10
    /// killAll gives up after about 2 s.
    static let killRounds = 200
    /// A v1 freeze or v2 freeze is awaited for about 0.5 s before killing anyway.
    static let freezeRounds = 50
    /// rmdir is retried on EBUSY for about 1 s while dying tasks drain.
    static let removeRounds = 100
}

/// Creates directories in order and, when a later step fails, removes the ones this creation made.
struct DirectoryTransaction {
    let kernel: any CgroupKernel
    private(set) var created: [String] = []

    init(kernel: any CgroupKernel) {
        self.kernel = kernel
    }

    /// Creates `path`; when it already exists and `existOK`, leaves it alone (and will not remove it).
    mutating func makeDirectory(_ path: String, existOK: Bool) throws(SystemError) {
        do {
            try kernel.makeDirectory(path)
            created.append(path)
        } catch {
            if error.errno == EEXIST && existOK { return }
            throw error
        }
    }

    /// Removes what was created, newest first. Errors are ignored: another sandbox may have created a
    /// child of a parent we made in the meantime, and that parent must stay.
    func rollBack() {
        for path in created.reversed() { try? kernel.removeDirectory(path) }
    }
}
