/// Caps on the kernel's per-user counts (inotify, fanotify, namespaces) for one sandbox, written by its
/// init to `/proc/sys/user/*` inside its own user namespace before it drops its capabilities.
///
/// Why they are needed: the kernel charges these counts to the user that created the user namespace (host
/// root, the supervisor) as well as to the sandbox's user, at every level of the namespace tree
/// (kernel/ucount.c, `inc_ucount`). Without a cap of its own, one sandbox could take all of host root's
/// budget (`fs.inotify.max_user_instances`, 128 by default), and host root and every other sandbox then got
/// EMFILE. With a cap, a sandbox stops at its own value; its charge still reaches host root's budget, so
/// `cap × concurrent environments` must stay below the host's limit for host root to keep headroom (an
/// operator raises `fs.inotify.max_user_instances` and `max_user_watches` for large pools).
public struct KernelCounts: Sendable, Equatable {
    /// `max_inotify_instances`: inotify_init calls (libuv, watchdog and friends use one or a few).
    public var inotifyInstances: UInt32
    /// `max_inotify_watches`: watches across all of the sandbox's inotify instances.
    public var inotifyWatches: UInt32
    /// `max_fanotify_groups` and `max_fanotify_marks`. The default seccomp profile does not allow
    /// fanotify_init at all; 0 keeps it so if a profile does.
    public var fanotifyGroups: UInt32
    public var fanotifyMarks: UInt32
    /// `max_{user,mnt,pid,net,ipc,uts,cgroup,time}_namespaces`: new namespaces of each kind the sandbox may
    /// make. The seccomp profile already refuses unshare and clone with CLONE_NEW*; 0 here is the kernel's
    /// own refusal (ENOSPC) behind it.
    public var namespaces: UInt32

    public init(inotifyInstances: UInt32 = 16, inotifyWatches: UInt32 = 8192, fanotifyGroups: UInt32 = 0,
                fanotifyMarks: UInt32 = 0, namespaces: UInt32 = 0) {
        self.inotifyInstances = inotifyInstances
        self.inotifyWatches = inotifyWatches
        self.fanotifyGroups = fanotifyGroups
        self.fanotifyMarks = fanotifyMarks
        self.namespaces = namespaces
    }

    /// One file of /proc/sys/user and the value written to it.
    public struct Setting: Sendable, Equatable {
        public var name: String
        public var value: UInt32
        /// Skipped when the kernel lacks the file (built without inotify or fanotify; time namespaces are 5.6+).
        public var optional: Bool
    }

    /// What the child writes, in order.
    public var settings: [Setting] {
        var list = [Setting(name: "max_inotify_instances", value: inotifyInstances, optional: true),
                    Setting(name: "max_inotify_watches", value: inotifyWatches, optional: true),
                    Setting(name: "max_fanotify_groups", value: fanotifyGroups, optional: true),
                    Setting(name: "max_fanotify_marks", value: fanotifyMarks, optional: true)]
        for kind in ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup"] {
            list.append(Setting(name: "max_\(kind)_namespaces", value: namespaces, optional: false))
        }
        list.append(Setting(name: "max_time_namespaces", value: namespaces, optional: true))
        return list
    }

    func validate() throws(SandboxSpecError) {
        // The kernel takes 0 ... INT_MAX.
        for setting in settings where setting.value > UInt32(Int32.max) {
            throw .invalid(setting.name, "must be at most \(Int32.max)")
        }
    }
}
