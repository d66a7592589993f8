import Glibc

/// The process's own RLIMIT_NOFILE: how many fds the supervisor may hold (sandboxes get their own limit).
public enum OpenFileLimit {
    /// Raises the soft limit to the hard one (systemd and most shells start services at 1024 soft, which
    /// a few hundred sandbox connections exhaust) and returns the soft limit now in force.
    @discardableResult
    public static func raiseToHardLimit() throws(SystemError) -> Int {
        var limit = rlimit()
        try syscall("getrlimit RLIMIT_NOFILE") { getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            try syscall("setrlimit RLIMIT_NOFILE to \(limit.rlim_max)") { setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) }
            limit = raised
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
