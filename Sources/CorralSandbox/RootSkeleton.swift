import CCorral
import CorralSystem
import Foundation

/// The files and directories of the host root, written once to disk and bound read-only as each sandbox's
/// root, so a launch performs only the mounts.
///
/// A host-root plan mixes content (mkdir, files such as /etc/passwd, symlinks such as /bin -> usr/bin,
/// the mount points of /dev) with mounts. The content never changes for a given plan, so it is written
/// once under `/run/corral/skeleton/<key>`, where the key is a hash of that content: immutable, shared by
/// every launch (and every supervisor) with the same host name and mount points. The launch then binds the
/// skeleton read-only as its root and applies only the mounts: about 30 operations instead of 65
/// (docs/benchmarks.md). Only names Corral itself writes live there; the host's files are still bound at
/// each launch, so nothing in a skeleton goes stale.
struct RootSkeleton {
    let base: String

    /// Splits a host-root plan into the skeleton's content and the launch's operations. Content under a
    /// mount the launch makes itself (a file under /tmp, say) stays with the launch, as does everything
    /// of a plan that is not a host-root plan.
    static func split(_ plan: MountPlan) -> (skeleton: [MountOperation], launch: [MountOperation])? {
        guard plan.rootSource == nil else { return nil }
        let perLaunchMounts = plan.operations.filter { op in
            (op.kind == .tmpfs || op.kind == .proc) && !op.flags.contains(.contentHolder)
        }.map(\.destination)
        var skeleton: [MountOperation] = []
        var launch: [MountOperation] = []
        for op in plan.operations {
            if op.flags.contains(.contentHolder) { continue }
            let isContent = op.kind == .makeDirectory || op.kind == .file || op.kind == .symlink
            if isContent && !perLaunchMounts.contains(where: { SandboxPath.isSameOrUnder("/" + op.destination, "/" + $0) && op.destination != $0 }) {
                skeleton.append(op)
            } else {
                launch.append(op)
            }
        }
        return (skeleton, launch)
    }

    /// A stable name for a skeleton's content (FNV-1a, 64 bits, over every field of every operation).
    static func key(_ operations: [MountOperation]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for b in bytes {
                hash ^= UInt64(b)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x100_0000_01b3
        }
        for op in operations {
            mix(String(op.kind.rawValue).utf8)
            mix(String(op.flags.rawValue).utf8)
            mix((op.source ?? "").utf8)
            mix(op.destination.utf8)
            mix(op.data)
            mix(String(op.mode).utf8)
        }
        return String(hash, radix: 16)
    }

    /// The skeleton directory for `operations`, written first if it is not there yet. Written under a
    /// temporary name and renamed into place, so a half-written skeleton is never used.
    func prepare(_ operations: [MountOperation]) throws(SystemError) -> String {
        let path = base + "/" + Self.key(operations)
        if FileSystem.isDirectory(path) { return path }
        try FileSystem.makeDirectory(base, mode: 0o755, existOK: true)
        let temporary = base + "/.tmp-\(getpid())-\(SandboxLauncher.nextCounter())"
        try FileSystem.makeDirectory(temporary, mode: 0o755)
        do throws(SystemError) {
            try write(operations, into: temporary)
            try syscall("chmod \(temporary)") { chmod(temporary, 0o755) }
            do {
                try syscall("rename \(temporary)") { rename(temporary, path) }
            } catch {
                // Another launch wrote the same skeleton first: use that one.
                guard FileSystem.isDirectory(path) else { throw error }
                Self.removeTree(temporary)
            }
            return path
        } catch {
            Self.removeTree(temporary)
            throw error
        }
    }

    private func write(_ operations: [MountOperation], into directory: String) throws(SystemError) {
        let rootfd = try FileDescriptor.open(directory, O_RDONLY | O_DIRECTORY)
        defer { FileDescriptor.close(rootfd) }
        let arena = CStringArena()
        for op in operations {
            precondition(op.kind == .makeDirectory || op.kind == .file || op.kind == .symlink, "a skeleton holds no mounts")
            var c = op.cOperation(arena)
            try syscall(op.stepName) { corral_apply_op(rootfd, &c) }
        }
    }

    private static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
