import CCorral
import CorralCgroups
import CorralSystem
import Foundation

/// What this host's kernel offers the sandbox, and what Corral falls back to without it. `corral doctor`
/// prints it; nothing here changes the host.
public struct HostSupport: Sendable, Codable {
    public struct Feature: Sendable, Codable {
        public var name: String
        public var available: Bool
        /// What Corral does with it, or without it.
        public var detail: String
        /// Without it, sandboxes cannot run at all.
        public var required: Bool
    }

    public var kernel: String
    public var cgroupVersion: String?
    public var cgroupControllers: [String]
    public var features: [Feature]

    /// True when every required feature is there.
    public var ready: Bool { features.allSatisfy { $0.available || !$0.required } }

    public static func detect(cgroupRoot: String = "/sys/fs/cgroup") -> HostSupport {
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: uts.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        var features: [Feature] = []
        func add(_ name: String, _ available: Bool, _ detail: String, required: Bool = false) {
            features.append(Feature(name: name, available: available, detail: detail, required: required))
        }
        add("root", geteuid() == 0, "corral maps each sandbox's root to an unprivileged host uid, which needs root", required: true)
        let maxUserNS = (try? FileSystem.read("/proc/sys/user/max_user_namespaces")).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        add("user namespaces", maxUserNS > 0, "user.max_user_namespaces = \(maxUserNS)", required: true)
        let host = try? CgroupHost.detect(root: cgroupRoot)
        add("cgroups", host != nil, host.map { "cgroup \($0.version.rawValue) at \($0.root)" } ?? "no cgroup hierarchy found at \(cgroupRoot)", required: true)
        let seccompActions = (try? FileSystem.read("/proc/sys/kernel/seccomp/actions_avail"))?.trimmingCharacters(in: .whitespacesAndNewlines)
        add("seccomp filters", seccompActions?.contains("errno") == true, "actions: \(seccompActions ?? "none")", required: true)
        add("openat2", corral_syscall_exists(CORRAL_SYSCALL_OPENAT2) != 0, "mount targets resolved without following symlinks (Linux 5.6+)", required: true)
        add("mount API", corral_syscall_exists(CORRAL_SYSCALL_MOUNT_SETATTR) != 0, "open_tree, move_mount, mount_setattr: read-only binds applied before they appear (Linux 5.12+)", required: true)
        add("pidfd", corral_syscall_exists(CORRAL_SYSCALL_PIDFD_OPEN) != 0, "signals and waits without pid-reuse races (Linux 5.3+)", required: true)
        let clone3 = corral_clone3_supported() != 0
        let v2 = host?.version == .v2
        let v1Placement = "on cgroup v1 the cloning thread steps into the sandbox's groups, so the child is born there"
        add("clone3", clone3, clone3 ? (v2 ? "spawns straight into the cgroup (CLONE_INTO_CGROUP)" : "used for its pidfd; " + v1Placement)
                                     : (v2 ? "falls back to clone(2) and a cgroup.procs write before the child is released" : "falls back to clone(2); " + v1Placement))
        add("close_range", corral_syscall_exists(CORRAL_SYSCALL_CLOSE_RANGE) != 0, "closes inherited fds in one call (else a loop over fcntl)")
        if let host {
            if host.version == .v2 {
                add("cgroup.kill", host.canKillDirectly(), host.canKillDirectly() ? "kills a whole tree in one write" : "falls back to freeze, kill every pid, thaw")
            } else {
                add("freezer (v1)", host.controllers.contains("freezer"), "freezes the tree before killing it, so no fork escapes", required: false)
            }
            for controller in ["memory", "cpu", "pids"] {
                add("\(controller) controller", host.controllers.contains(controller),
                    "limits \(controller) per sandbox", required: true)
            }
        }
        let swapOn = ((try? FileSystem.read("/proc/swaps")) ?? "").split(separator: "\n").count > 1
        add("no swap in use", !swapOn, swapOn ? "swap is on: corral disables it per sandbox (memory.swap.max=0 / memsw)" : "no swap devices")
        return HostSupport(kernel: release, cgroupVersion: host?.version.rawValue, cgroupControllers: host?.controllers ?? [], features: features)
    }
}
