import CCorral
import CorralSystem

/// One step of assembling the sandbox's root, run in order by the child (see `corral_op` in corral.h).
/// Destinations are relative to the new root.
struct MountOperation: Equatable, Sendable {
    enum Kind: Int32, Sendable {
        case makeDirectory = 1, bind, tmpfs, proc, file, symlink, remountReadOnly
    }

    struct Flags: OptionSet, Equatable, Sendable {
        let rawValue: Int32
        static let readOnly = Flags(rawValue: 1 << 0)
        static let optional = Flags(rawValue: 1 << 1)
        static let sourceInRoot = Flags(rawValue: 1 << 2)
        static let noSUID = Flags(rawValue: 1 << 3)
        static let noDev = Flags(rawValue: 1 << 4)
        static let noExec = Flags(rawValue: 1 << 5)
        /// Applied before the id maps exist (see `MountPlan.markingEarlyOperations`).
        static let early = Flags(rawValue: 1 << 6)
        /// Swift-side only (never reaches the child's C): a tmpfs or remount that exists only to hold files
        /// the plan itself creates (the root, /dev). A launcher with a prebuilt root skeleton drops it.
        static let contentHolder = Flags(rawValue: 1 << 16)
        /// Swift-side only: a bind of the host's own system files (HostRoot, DevFilesystem), the same for
        /// every sandbox with this root, so a launcher builds it once into a RootNamespace.
        static let systemBind = Flags(rawValue: 1 << 17)
        /// Swift-side only: a bind the spec asked for (`SandboxSpec.binds`). The parent opens its source
        /// without following symlinks (beneath `beneath` when set) and hands the child the mount by fd.
        static let openedByParent = Flags(rawValue: 1 << 18)
        static let swiftOnly: Flags = [.contentHolder, .systemBind, .openedByParent]
        static let hardened: Flags = [.noSUID, .noDev]
    }

    var kind: Kind
    var flags: Flags = []
    var source: String? = nil
    var destination: String
    var data: [UInt8] = []
    var mode: UInt32 = 0o755
    /// For an `.openedByParent` bind of a tenant's grant: the pinned root its source lies beneath.
    var beneath: PinnedDirectory? = nil

    /// Whether the operation creates an inode or a superblock, whose owner is the creating uid: in the
    /// child that uid means something only once the id maps are written.
    var createsOwnedFiles: Bool {
        switch kind {
        case .makeDirectory, .file, .symlink, .tmpfs, .remountReadOnly: return true
        case .bind, .proc: return false
        }
    }

    /// A bind of a host path (not of a path inside the new root): inside a RootNamespace the child cannot
    /// see it, so the parent opens it and hands it over by fd.
    var bindsHostPath: Bool { kind == .bind && !flags.contains(.sourceInRoot) }

    /// How a failure of this step is named to the user.
    var stepName: String {
        switch kind {
        case .makeDirectory: return "mkdir /\(destination)"
        case .bind: return "bind \(source ?? "?") on /\(destination)"
        case .tmpfs: return "mount tmpfs on /\(destination)"
        case .proc: return "mount proc on /\(destination)"
        case .file: return "create /\(destination)"
        case .symlink: return "symlink /\(destination)"
        case .remountReadOnly: return "remount /\(destination == "." ? "" : destination) read-only"
        }
    }

    /// The C form the child (or `corral_apply_op`) reads; its strings live in `arena`.
    func cOperation(_ arena: CStringArena) -> corral_op {
        corral_op(kind: kind.rawValue, flags: flags.subtracting(.swiftOnly).rawValue, src: arena.optionalString(source),
                  dst: arena.string(destination), data: data.isEmpty ? nil : arena.bytes(data),
                  data_len: kind == .file ? data.count : 0, mode: mode, src_fd: -1)
    }

    static func mkdir(_ path: String, mode: UInt32 = 0o755) -> MountOperation {
        MountOperation(kind: .makeDirectory, destination: path, mode: mode)
    }

    static func bind(_ source: String, on destination: String, _ flags: Flags) -> MountOperation {
        MountOperation(kind: .bind, flags: flags, source: source, destination: destination)
    }

    static func tmpfs(on destination: String, options: String, _ flags: Flags) -> MountOperation {
        MountOperation(kind: .tmpfs, flags: flags, destination: destination, data: Array(options.utf8) + [0])
    }

    static func file(_ path: String, contents: String, mode: UInt32 = 0o644) -> MountOperation {
        MountOperation(kind: .file, destination: path, data: Array(contents.utf8), mode: mode)
    }

    static func symlink(_ path: String, to target: String) -> MountOperation {
        MountOperation(kind: .symlink, source: target, destination: path)
    }
}
