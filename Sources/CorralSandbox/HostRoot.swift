/// The default root filesystem: a small tmpfs holding read-only binds of the host's system directories and
/// a minimal /etc written for the sandbox, so the host's /usr/bin/python3 and /usr/bin/node run as they are.
enum HostRoot {
    /// What a top-level name of the host root is.
    enum Entry: Equatable {
        case created                 // a directory in the root tmpfs
        case bound(String)           // a read-only bind of this host path
        case symlink(String)         // a symlink, as on the host (merged-/usr: /bin -> usr/bin)
    }

    /// Host system directories bound read-only (or mirrored as symlinks when they are symlinks on the host).
    static let systemDirectories = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"]

    /// Host files and directories under /etc the dynamic linker, TLS and Debian's alternatives need.
    static let etcFromHost = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl", "ca-certificates", "localtime"]

    static func entry(named name: String, inspector: PathInspector) -> Entry? {
        if ["etc", "proc", "dev", "tmp"].contains(name) { return .created }
        guard systemDirectories.contains(name) else { return nil }
        switch inspector.kind(of: "/" + name) {
        case .directory: return .bound("/" + name)
        case let .symlink(target): return .symlink(target)
        default: return nil
        }
    }

    static func operations(hostname: String, inspector: PathInspector) -> [MountOperation] {
        var ops: [MountOperation] = []
        for name in systemDirectories {
            switch entry(named: name, inspector: inspector) {
            case let .bound(path)?:
                ops.append(.mkdir(name))
                ops.append(.bind(path, on: name, [.readOnly, .noSUID, .noDev, .systemBind]))
            case let .symlink(target)?:
                ops.append(.symlink(name, to: target))
            default:
                break
            }
        }
        ops += ["proc", "dev", "tmp", "etc"].map { .mkdir($0) }
        ops += etcFiles(hostname: hostname)
        for name in etcFromHost {
            let hostPath = "/etc/" + name
            switch inspector.kind(of: hostPath) {
            case .directory:
                ops.append(.mkdir("etc/" + name))
                ops.append(.bind(hostPath, on: "etc/" + name, [.readOnly, .noSUID, .noDev, .systemBind]))
            case .file:
                ops.append(.file("etc/" + name, contents: ""))
                ops.append(.bind(hostPath, on: "etc/" + name, [.readOnly, .noSUID, .noDev, .systemBind]))
            case let .symlink(target):
                // e.g. /etc/localtime -> /usr/share/zoneinfo/...: keep the link, its target is bound.
                ops.append(.symlink("etc/" + name, to: target))
            default:
                break
            }
        }
        return ops
    }

    /// /etc written for the sandbox: only root and nobody exist, the host name resolves to loopback.
    static func etcFiles(hostname: String) -> [MountOperation] {
        [
            .file("etc/passwd", contents: "root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
            .file("etc/group", contents: "root:x:0:\nnogroup:x:65534:\n"),
            .file("etc/hostname", contents: hostname + "\n"),
            .file("etc/hosts", contents: "127.0.0.1\tlocalhost \(hostname)\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
            .file("etc/nsswitch.conf", contents: "passwd: files\ngroup: files\nhosts: files dns\n"),
            .file("etc/resolv.conf", contents: ""),
        ]
    }
}

/// /proc for the sandbox's pid namespace, with the paths that leak host information masked and the ones
/// that could change the host made read-only (security-checklist.md, "Docker defaults").
enum ProcFilesystem {
    static let maskedFiles = ["kcore", "keys", "latency_stats", "sched_debug", "timer_list", "timer_stats", "interrupts", "sysrq-trigger"]
    static let maskedDirectories = ["acpi", "asound", "scsi"]
    static let readOnlyPaths = ["bus", "fs", "irq", "sys"]

    /// The paths this kernel's procfs has are the same in every instance, so a mask whose path the host's
    /// /proc lacks (no /proc/kcore without CONFIG_PROC_KCORE) is left out: looking it up in each sandbox's
    /// procfs, only to find nothing there, was a third of the child's path lookups. The masks stay optional
    /// in the child, and a host whose /proc cannot be seen (the unit tests' made-up trees) keeps them all.
    static func operations(inspector: PathInspector) -> [MountOperation] {
        let hostProcVisible = inspector.kind(of: "/proc/self") != .missing
        func present(_ name: String) -> Bool { !hostProcVisible || inspector.kind(of: "/proc/" + name) != .missing }
        var ops: [MountOperation] = [
            MountOperation(kind: .proc, flags: [.noSUID, .noDev, .noExec], destination: "proc"),
        ]
        for name in readOnlyPaths where present(name) {
            ops.append(.bind("proc/" + name, on: "proc/" + name, [.readOnly, .noSUID, .noDev, .noExec, .sourceInRoot, .optional]))
        }
        for name in maskedFiles where present(name) {
            ops.append(.bind("/dev/null", on: "proc/" + name, [.readOnly, .noSUID, .noExec, .optional]))
        }
        for name in maskedDirectories where present(name) {
            ops.append(.tmpfs(on: "proc/" + name, options: "size=0,mode=0555", [.readOnly, .noSUID, .noDev, .noExec, .optional]))
        }
        return ops
    }
}

/// A minimal /dev: null, zero, full, random, urandom bound from the host, the usual fd links, and a
/// size-limited /dev/shm. /dev itself is read-only afterwards.
enum DevFilesystem {
    static let devices = ["null", "zero", "full", "random", "urandom"]

    static func operations(shmBytes: UInt64) -> [MountOperation] {
        var ops: [MountOperation] = [.tmpfs(on: "dev", options: "size=64k,mode=0755", [.noSUID, .noExec, .contentHolder])]
        for name in devices {
            ops.append(.file("dev/" + name, contents: "", mode: 0o666))
            ops.append(.bind("/dev/" + name, on: "dev/" + name, [.noSUID, .noExec, .systemBind]))
        }
        ops.append(.symlink("dev/fd", to: "/proc/self/fd"))
        ops.append(.symlink("dev/stdin", to: "/proc/self/fd/0"))
        ops.append(.symlink("dev/stdout", to: "/proc/self/fd/1"))
        ops.append(.symlink("dev/stderr", to: "/proc/self/fd/2"))
        ops.append(.mkdir("dev/shm", mode: 0o1777))
        ops.append(.tmpfs(on: "dev/shm", options: "size=\(shmBytes),mode=1777", [.noSUID, .noDev, .noExec]))
        ops.append(MountOperation(kind: .remountReadOnly, flags: .contentHolder, destination: "dev"))
        return ops
    }
}
