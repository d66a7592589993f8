import CCorral
import CorralSystem

/// When each phase of one launch happened (CLOCK_MONOTONIC), from the request to the command's execve.
/// Recorded only when `SandboxLauncher.Configuration.traceSpawn` is set; `corral bench spawn --trace`
/// prints the median of each phase.
public struct SpawnTrace: Sendable {
    public enum Phase: Int32, Sendable, CaseIterable {
        case requested = 0          // launch() called
        case planned = 106          // spec validated, mount plan built, skeleton found
        case filterReady = 107      // the seccomp program looked up (compiled on first use)
        case cgroupReady = 108      // the sandbox's cgroup taken (or created) with its limits
        case prepared = 100         // pipes open, pooled network namespace taken
        case attrsBuilt = 102       // C attrs built, about to hand over to the spawn thread
        case onSpawnThread = 103    // the spawn thread picked the launch up
        case groupsEntered = 104    // v1: the spawn thread stands in the sandbox's groups; about to clone
        case cloned = 1             // the child's first instruction (CORRAL_TRACE_CLONED)
        case parentReleased = 105   // corral_spawn returned: cloned, id maps written, child released
        case earlyRoot = 6          // the child's binds and /proc done (they need no id maps)
        case released = 2           // the child saw the release (id maps written, cgroup placed)
        case rootReady = 3          // the rest of the root mounted (and pivoted into, without a root namespace)
        case confined = 4           // capabilities dropped, no_new_privs, seccomp loaded
        case forked = 5             // the command's process exists, before its execve
        case execConfirmed = 101    // the parent saw the exec succeed (EOF on the error pipe)

        public var label: String {
            switch self {
            case .requested: return "request"
            case .planned: return "validate, mount plan, skeleton"
            case .filterReady: return "seccomp program lookup"
            case .cgroupReady: return "cgroup and its limits"
            case .prepared: return "pipes, network namespace"
            case .attrsBuilt: return "build C attrs"
            case .onSpawnThread: return "hand over to the spawn thread"
            case .groupsEntered: return "enter the cgroups (v1)"
            case .cloned: return "clone"
            case .parentReleased: return "parent: maps written, child let go"
            case .earlyRoot: return "root: /proc, masks, binds; signals"
            case .released: return "child: released"
            case .rootReady: return "root: tmpfs mounts (pivot_root)"
            case .confined: return "caps, no_new_privs, seccomp"
            case .forked: return "fork the command"
            case .execConfirmed: return "execve confirmed"
            }
        }
    }

    public struct Point: Sendable {
        public var phase: Phase
        public var nanoseconds: UInt64
    }

    /// Points in time order.
    public var points: [Point]

    /// Each phase's duration since the previous point, in milliseconds.
    public var durations: [(Phase, Double)] {
        zip(points.dropFirst(), points).map { ($0.phase, Double($0.nanoseconds - $1.nanoseconds) / 1_000_000) }
    }

    static func read(from fd: Int32) -> [Point] {
        try? FileDescriptor.setNonBlocking(fd)
        var result: [Point] = []
        var record = corral_trace_point()
        while true {
            let n = withUnsafeMutableBytes(of: &record) { (try? FileDescriptor.read(fd, into: $0)) ?? 0 }
            guard n == MemoryLayout<corral_trace_point>.size, let phase = Phase(rawValue: record.phase) else { break }
            result.append(Point(phase: phase, nanoseconds: record.nanoseconds))
        }
        return result
    }
}
