import CCorral

#if canImport(Glibc)
import Glibc
#endif

/// The rlimits and per-user-namespace caps as the child applies them.
extension ResourceLimits {
    /// One rlimit the child sets (soft = hard), with its name for errors.
    struct RLimit: Equatable {
        var name: String
        var resource: Int32
        var value: UInt64
    }

    /// Every rlimit a sandbox gets, in the order the child sets them. Each resource not listed here is
    /// inherited from the supervisor (RLIMIT_AS, DATA, STACK, CPU, LOCKS, NICE, RTTIME: memory and CPU are
    /// the cgroup's job, the rest are harmless).
    ///
    /// `ceiling` gives the supervisor's own hard limit for a resource: the child cannot raise a hard limit
    /// (that needs CAP_SYS_RESOURCE in the host's user namespace), so a value above it is lowered to it rather
    /// than failing every launch. A lower limit is only stricter.
    func rlimitList(ceiling: (Int32) -> UInt64? = ResourceLimits.supervisorHardLimit) -> [RLimit] {
        var list = [RLimit(name: "RLIMIT_NOFILE", resource: Int32(RLIMIT_NOFILE.rawValue), value: openFiles),
                    RLimit(name: "RLIMIT_CORE", resource: Int32(RLIMIT_CORE.rawValue), value: 0),
                    RLimit(name: "RLIMIT_NPROC", resource: Int32(__RLIMIT_NPROC.rawValue), value: effectiveProcesses),
                    RLimit(name: "RLIMIT_MSGQUEUE", resource: Int32(__RLIMIT_MSGQUEUE.rawValue), value: messageQueueBytes),
                    RLimit(name: "RLIMIT_SIGPENDING", resource: Int32(__RLIMIT_SIGPENDING.rawValue), value: pendingSignals),
                    RLimit(name: "RLIMIT_MEMLOCK", resource: Int32(__RLIMIT_MEMLOCK.rawValue), value: lockedMemoryBytes),
                    // No real-time scheduling: sched_setscheduler is allowed, and a SCHED_FIFO spinner would
                    // starve the host's CPUs regardless of the cgroup's cpu.max.
                    RLimit(name: "RLIMIT_RTPRIO", resource: Int32(__RLIMIT_RTPRIO.rawValue), value: 0)]
        if let fsize = fileSizeBytes {
            list.append(RLimit(name: "RLIMIT_FSIZE", resource: Int32(RLIMIT_FSIZE.rawValue), value: fsize))
        }
        return list.map { limit in
            var limit = limit
            if let top = ceiling(limit.resource) { limit.value = min(limit.value, top) }
            return limit
        }
    }

    /// The C records for `rlimitList()`.
    var cRLimits: [corral_rlimit] {
        rlimitList().map { corral_rlimit(resource: $0.resource, soft: $0.value, hard: $0.value) }
    }

    /// The C records for `kernelCounts.settings`; the strings live in `arena`.
    func cUserSysctls(_ arena: CStringArena) -> [corral_user_sysctl] {
        kernelCounts.settings.map { setting in
            corral_user_sysctl(name: arena.string(setting.name), value: arena.string(String(setting.value)),
                               optional: setting.optional ? 1 : 0)
        }
    }

    /// The name of the step that failed at `index` of the child's list (`CORRAL_STEP_RLIMIT` or
    /// `CORRAL_STEP_USER_SYSCTL`), for errors.
    func childStepName(step: Int32, index: Int32) -> String? {
        let i = Int(index)
        if step == Int32(CORRAL_STEP_RLIMIT.rawValue) {
            let list = rlimitList()
            return list.indices.contains(i) ? "setrlimit \(list[i].name)" : nil
        }
        if step == Int32(CORRAL_STEP_USER_SYSCTL.rawValue) {
            let list = kernelCounts.settings
            return list.indices.contains(i) ? "write /proc/sys/user/\(list[i].name) (\(list[i].value))" : "open /proc/sys/user"
        }
        return nil
    }

    /// The supervisor's hard limit for `resource`, nil when unlimited or unreadable. The corresponding C
    /// function is `getrlimit`.
    static func supervisorHardLimit(_ resource: Int32) -> UInt64? {
        var current = rlimit()
        guard getrlimit(__rlimit_resource_t(UInt32(bitPattern: resource)), &current) == 0 else { return nil }
        return current.rlim_max == rlim_t.max ? nil : UInt64(current.rlim_max)  // RLIM_INFINITY
    }
}
