/// How a sandboxed command ended, and what the kernel accounted for it.
public struct SandboxReport: Sendable, Equatable, Codable {
    /// The command's exit status; 128+N when it was killed by signal N (the shell convention).
    public var exitCode: Int32
    /// The signal that killed the command, if one did.
    public var signal: Int32?
    /// The wall-clock limit ran out and the whole tree was killed.
    public var timedOut: Bool
    /// The kernel's OOM killer killed a process in the sandbox's cgroup.
    public var oomKilled: Bool
    /// From spawn request to the end of the last process, in milliseconds.
    public var durationMs: Double
    /// Peak memory of the whole cgroup, when the kernel reports it.
    public var maxMemoryBytes: UInt64?
    /// CPU time of the whole cgroup (user + system), in milliseconds.
    public var cpuTimeMs: Double?

    /// The exit status `corral run` should end with: 124 on timeout, 137 on OOM, else the command's.
    public var conventionalExitCode: Int32 {
        if timedOut { return 124 }
        if oomKilled { return 137 }
        return exitCode
    }
}
