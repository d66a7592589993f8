/// Limits the kernel enforces on a sandbox: cgroup limits, tmpfs sizes, rlimits and the wall-clock timeout.
public struct ResourceLimits: Sendable, Equatable {
    /// Memory limit in bytes (cgroup; swap disabled). Includes tmpfs pages the sandbox writes.
    public var memoryBytes: UInt64?
    /// CPU quota in CPUs (0.5 = half of one CPU per period).
    public var cpus: Double?
    /// Maximum tasks (processes and threads) in the cgroup.
    public var pids: Int?
    /// Size of the /tmp tmpfs in bytes.
    public var tmpBytes: UInt64
    /// Size of the /dev/shm tmpfs in bytes.
    public var shmBytes: UInt64
    /// RLIMIT_NOFILE.
    public var openFiles: UInt64
    /// RLIMIT_FSIZE in bytes; nil leaves it unlimited.
    public var fileSizeBytes: UInt64?
    /// Wall-clock limit in milliseconds, enforced by killing the whole cgroup; nil means none.
    public var timeoutMilliseconds: UInt64?
    /// RLIMIT_NPROC: tasks (processes and threads) of the sandbox's user; nil means the same as `pids`, or
    /// 1024 with no pids limit. Since Linux 5.14 the kernel counts it per user namespace and uid, so every
    /// sandbox has a count of its own although all map to one host uid; earlier kernels count per host uid
    /// across the host, which `corral doctor` warns about. The cgroup's pids.max bounds the same tasks.
    public var processes: UInt64?
    /// RLIMIT_MSGQUEUE in bytes: POSIX message queues. The default fits one queue of the default size (10
    /// messages of 8 KiB, about 82 KB). The kernel charges the bytes to host root's budget too (the
    /// supervisor's own RLIMIT_MSGQUEUE, 800 KiB by default, shared by all sandboxes), so keep it small.
    public var messageQueueBytes: UInt64
    /// RLIMIT_SIGPENDING: queued signals.
    public var pendingSignals: UInt64
    /// RLIMIT_MEMLOCK in bytes: mlock per process, and SHM_LOCK, which is charged up to host root.
    public var lockedMemoryBytes: UInt64
    /// Caps on the per-user kernel counts inside the sandbox's user namespace (inotify, namespaces).
    public var kernelCounts: KernelCounts

    public init(
        memoryBytes: UInt64? = 128 << 20,
        cpus: Double? = 1,
        pids: Int? = 128,
        tmpBytes: UInt64 = 64 << 20,
        shmBytes: UInt64 = 16 << 20,
        openFiles: UInt64 = 1024,
        fileSizeBytes: UInt64? = nil,
        timeoutMilliseconds: UInt64? = nil,
        processes: UInt64? = nil,
        messageQueueBytes: UInt64 = 128 << 10,
        pendingSignals: UInt64 = 1024,
        lockedMemoryBytes: UInt64 = 64 << 10,
        kernelCounts: KernelCounts = KernelCounts()
    ) {
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.pids = pids
        self.tmpBytes = tmpBytes
        self.shmBytes = shmBytes
        self.openFiles = openFiles
        self.fileSizeBytes = fileSizeBytes
        self.timeoutMilliseconds = timeoutMilliseconds
        self.processes = processes
        self.messageQueueBytes = messageQueueBytes
        self.pendingSignals = pendingSignals
        self.lockedMemoryBytes = lockedMemoryBytes
        self.kernelCounts = kernelCounts
    }

    /// RLIMIT_NPROC as applied: `processes`, else `pids`, else 1024.
    public var effectiveProcesses: UInt64 {
        processes ?? pids.map { UInt64($0) } ?? 1024
    }

    func validate() throws(SandboxSpecError) {
        if let m = memoryBytes, m < 4 << 20 { throw .invalid("memory", "must be at least 4M") }
        if let c = cpus, !(c > 0.001 && c <= 1024) { throw .invalid("cpus", "must be between 0.001 and 1024") }
        if let p = pids, p < 2 { throw .invalid("pids", "must be at least 2 (the init and the command)") }
        if tmpBytes == 0 { throw .invalid("tmp-size", "must be more than 0") }
        if openFiles < 16 { throw .invalid("nofile", "must be at least 16") }
        if let t = timeoutMilliseconds, t == 0 { throw .invalid("timeout", "must be more than 0") }
        if effectiveProcesses < 2 { throw .invalid("nproc", "must be at least 2 (the init and the command)") }
        try kernelCounts.validate()
    }
}

/// Parses human sizes and durations as the CLI takes them.
public enum Quantity {
    /// "128M", "1G", "512k", "4096" (bytes). Suffixes are binary (K = 1024).
    public static func bytes(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let last = t.last else { return nil }
        let multipliers: [Character: UInt64] = ["k": 1 << 10, "K": 1 << 10, "m": 1 << 20, "M": 1 << 20, "g": 1 << 30, "G": 1 << 30]
        var digits = Substring(t)
        var multiplier: UInt64 = 1
        if let m = multipliers[last] {
            multiplier = m
            digits = t.dropLast()
        } else if last == "B" || last == "b" {
            digits = t.dropLast()
        }
        guard let value = UInt64(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// "3s", "500ms", "2m", "1.5s", "10" (seconds) into milliseconds.
    public static func milliseconds(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v > 0, v.isFinite else { return nil }
            return UInt64((v * factor).rounded())
        }
        guard let v = Double(t), v > 0, v.isFinite else { return nil }
        return UInt64((v * 1000).rounded())
    }
}

import Foundation
