import CSeccomp
import CorralSystem

#if canImport(Glibc)
import Glibc
#endif

/// Calls a libseccomp function. libseccomp reports failure as a negative errno in the return value and
/// leaves `errno` alone, so it cannot go through CorralSystem's `syscall` funnel; this is its funnel.
@discardableResult
func seccompCall(_ stage: @autoclosure () -> String, _ body: () -> Int32) throws(SystemError) -> Int32 {
    let rc = body()
    if rc < 0 { throw SystemError(stage: stage(), errno: -rc) }
    return rc
}

extension SeccompProfile.Action {
    /// The libseccomp action value; `errno` is used only by `.errno` and defaults to EPERM.
    func libseccompValue(errno: UInt32?) -> UInt32 {
        switch self {
        case .allow: SCMP_ACT_ALLOW
        case .errno: 0x0005_0000 | ((errno ?? UInt32(EPERM)) & 0xffff)  // SCMP_ACT_ERRNO(x), a macro Swift cannot import
        case .killProcess: SCMP_ACT_KILL_PROCESS
        case .killThread: SCMP_ACT_KILL_THREAD
        case .trap: SCMP_ACT_TRAP
        case .log: SCMP_ACT_LOG
        }
    }
}

extension SeccompProfile.Operator {
    var libseccompValue: scmp_compare {
        switch self {
        case .notEqual: SCMP_CMP_NE
        case .lessThan: SCMP_CMP_LT
        case .lessOrEqual: SCMP_CMP_LE
        case .equal: SCMP_CMP_EQ
        case .greaterOrEqual: SCMP_CMP_GE
        case .greaterThan: SCMP_CMP_GT
        case .maskedEqual: SCMP_CMP_MASKED_EQ
        }
    }
}

extension SeccompProfile.Argument {
    var libseccompValue: scmp_arg_cmp {
        scmp_arg_cmp(arg: index, op: op.libseccompValue, datum_a: value, datum_b: valueTwo ?? 0)
    }
}

/// The system call number for `name` on the native architecture, as libseccomp's rule functions want it.
/// Nil when libseccomp does not know the name at all; a negative "pseudo" number when the call exists only
/// on other architectures (libseccomp then ignores it for the native one).
func resolveSyscall(_ name: String) -> Int32? {
    let number = seccomp_syscall_resolve_name(name)
    return number == __NR_SCMP_ERROR ? nil : number
}
