import CCorral
import CorralSystem

/// A mount namespace that holds nothing but a sandbox's root, with the host's system files already bound
/// in it: built once per root, then entered by the cloning thread for each clone, so the sandbox is born
/// inside its root (see `root_ns_fd` in corral.h).
///
/// Without it every launch binds the root and its dozen system binds, pivots into the root and detaches
/// the host's, which waits for an RCU grace period. With it a launch mounts only what is its own: /proc
/// and its masks, the tmpfs mounts, and its extra binds, which the parent opens as detached mounts
/// (`corral_open_bind_source`) because the child no longer sees host paths. docs/benchmarks.md has the
/// figures.
///
/// The namespace is a snapshot of the host files it binds. Its key holds the device and inode of each
/// bound source, read whenever the mount plan is made again (MountPlanCache, every 2 s at most): a file
/// the host replaces (ldconfig renames a new ld.so.cache into place) gives a new key and a new namespace.
final class RootNamespace: Sendable, Equatable {
    struct Key: Equatable, Sendable {
        var rootSource: String
        var operations: [MountOperation]
        var identities: [UInt64]
    }

    let key: Key
    /// An fd for the namespace (CLOEXEC), closed when the last plan using it is gone.
    let fd: Int32

    private init(key: Key, fd: Int32) {
        self.key = key
        self.fd = fd
    }

    deinit { FileDescriptor.close(fd) }

    static func == (a: RootNamespace, b: RootNamespace) -> Bool { a === b }

    /// Splits a plan with a bound root into the binds built into the namespace (the system binds) and the
    /// launch's own operations. A launch bind of a host file the namespace already holds (/dev/null over the
    /// masked /proc files) becomes a bind from inside the root, since the child cannot see the host's.
    /// Nil for a tmpfs root, which each sandbox makes itself.
    static func split(_ plan: MountPlan) -> (shared: [MountOperation], launch: [MountOperation])? {
        guard plan.rootSource != nil else { return nil }
        let shared = plan.operations.filter { $0.kind == .bind && $0.flags.contains(.systemBind) }
        guard !shared.isEmpty else { return nil }
        var launch: [MountOperation] = []
        for var op in plan.operations where !(op.kind == .bind && op.flags.contains(.systemBind)) {
            if op.bindsHostPath, let inRoot = shared.first(where: { $0.source == op.source }) {
                op.source = inRoot.destination
                op.flags.insert(.sourceInRoot)
            }
            launch.append(op)
        }
        return (shared, launch)
    }

    /// The key for `shared` over `rootSource` as the host's files are now.
    static func key(rootSource: String, shared: [MountOperation]) -> Key {
        let paths = [rootSource] + shared.map { $0.source ?? "" }
        let identities = paths.flatMap { path -> [UInt64] in
            guard let id = FileSystem.identity(of: path) else { return [0, 0] }
            return [id.device, id.inode]
        }
        return Key(rootSource: rootSource, operations: shared, identities: identities)
    }

    /// Builds the namespace (a short-lived child does it, see corral_root_namespace_create). Throws the
    /// failed step: the bind that failed, or "build the root namespace".
    static func build(_ key: Key, stagingDirectory: String) throws(SandboxError) -> RootNamespace {
        let arena = CStringArena()
        let ops = key.operations.map { $0.cOperation(arena) }
        var failed: Int32 = -1
        do throws(SystemError) {
            let fd = try withExtendedLifetime(arena) { () throws(SystemError) -> Int32 in
                try ops.withUnsafeBufferPointer { (buffer) throws(SystemError) -> Int32 in
                    try syscall("build the root namespace for \(key.rootSource)") {
                        corral_root_namespace_create(stagingDirectory, key.rootSource, buffer.baseAddress, buffer.count, &failed)
                    }
                }
            }
            return RootNamespace(key: key, fd: fd)
        } catch {
            guard failed >= 0, Int(failed) < key.operations.count else { throw .host(error) }
            throw .child(step: "root namespace: " + key.operations[Int(failed)].stepName, errno: error.errno)
        }
    }
}
