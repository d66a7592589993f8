import CCorral

/// Names for the child's steps (`enum corral_step` in corral.h), used in errors.
enum SpawnStep {
    static func name(_ step: Int32) -> String {
        switch UInt32(bitPattern: step) {
        case CORRAL_STEP_SYNC.rawValue: return "wait for the supervisor"
        case CORRAL_STEP_SETRESGID.rawValue: return "setresgid"
        case CORRAL_STEP_SETRESUID.rawValue: return "setresuid"
        case CORRAL_STEP_UNSHARE_CGROUP.rawValue: return "unshare cgroup namespace"
        case CORRAL_STEP_MOUNT_PRIVATE.rawValue: return "make mounts private"
        case CORRAL_STEP_ROOT_MOUNT.rawValue: return "mount the new root"
        case CORRAL_STEP_ROOT_OPEN.rawValue: return "open the new root"
        case CORRAL_STEP_OP.rawValue: return "root filesystem"
        case CORRAL_STEP_PIVOT_ROOT.rawValue: return "pivot_root"
        case CORRAL_STEP_UMOUNT_OLD_ROOT.rawValue: return "detach the old root"
        case CORRAL_STEP_CHDIR.rawValue: return "chdir to the working directory"
        case CORRAL_STEP_SETHOSTNAME.rawValue: return "sethostname"
        case CORRAL_STEP_LOOPBACK.rawValue: return "bring up lo"
        case CORRAL_STEP_RLIMIT.rawValue: return "setrlimit"
        case CORRAL_STEP_SETSID.rawValue: return "setsid"
        case CORRAL_STEP_CAP_BOUNDING.rawValue: return "drop the capability bounding set"
        case CORRAL_STEP_CAP_AMBIENT.rawValue: return "clear ambient capabilities"
        case CORRAL_STEP_SECUREBITS.rawValue: return "set securebits"
        case CORRAL_STEP_CAPSET.rawValue: return "capset"
        case CORRAL_STEP_NO_NEW_PRIVS.rawValue: return "set no_new_privs"
        case CORRAL_STEP_DUMPABLE.rawValue: return "set the init non-dumpable"
        case CORRAL_STEP_SIGNALS.rawValue: return "install signal forwarding"
        case CORRAL_STEP_SECCOMP.rawValue: return "load the seccomp filter"
        case CORRAL_STEP_FORK.rawValue: return "fork the command"
        case CORRAL_STEP_FDS.rawValue: return "set up the command's file descriptors"
        case CORRAL_STEP_EXECVE.rawValue: return "execve"
        case CORRAL_STEP_PDEATHSIG.rawValue: return "set the parent-death signal"
        case CORRAL_STEP_USER_SYSCTL.rawValue: return "cap the per-user kernel counts (/proc/sys/user)"
        default: return "step \(step)"
        }
    }
}
