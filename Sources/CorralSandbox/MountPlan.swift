/// Turns a spec into the ordered root-filesystem operations the child applies (prepare in the parent,
/// apply in the child). Pure apart from the `PathInspector`, so every plan can be unit-tested.
struct MountPlan: Equatable, Sendable {
    /// The new root: nil for a fresh tmpfs, else a directory bound read-only.
    var rootSource: String?
    var operations: [MountOperation]
    /// The namespace the sandbox is born in, holding the root and its system binds (the launcher's choice;
    /// nil: the child binds the root itself and pivots into it).
    var rootNamespace: RootNamespace? = nil

    static let rootTmpfsOptions = "size=1m,nr_inodes=4096,mode=0755"

    static func make(for spec: SandboxSpec, inspector: PathInspector = HostPathInspector()) throws(SandboxSpecError) -> MountPlan {
        var ops: [MountOperation] = []
        let rootSource: String?
        switch spec.rootFilesystem {
        case .host:
            rootSource = nil
            ops += HostRoot.operations(hostname: spec.hostname, inspector: inspector)
        case let .directory(path):
            guard let resolved = inspector.resolved(path), inspector.kind(of: resolved) == .directory else {
                throw .invalid("rootfs", "'\(path)' is not a directory")
            }
            // The root is read-only: the mount points must already be real directories (never symlinks,
            // which could point a mount outside the root).
            for mountPoint in ["proc", "dev", "tmp"] {
                guard inspector.kind(of: resolved + "/" + mountPoint) == .directory else {
                    throw .invalid("rootfs", "\(resolved)/\(mountPoint) must be an ordinary directory")
                }
            }
            rootSource = resolved
        }
        ops += ProcFilesystem.operations(inspector: inspector)
        ops += DevFilesystem.operations(shmBytes: spec.limits.shmBytes)
        ops.append(.tmpfs(on: "tmp", options: "size=\(spec.limits.tmpBytes),mode=1777", .hardened))
        for bind in spec.binds {
            ops += try bindOperations(bind, rootSource: rootSource, inspector: inspector)
        }
        for directory in spec.memoryDirectories {
            ops += try mountPoint(directory.path, for: .directory, field: "memory directory", rootSource: rootSource, inspector: inspector)
            ops += directory.operations
        }
        if rootSource == nil {
            ops.append(MountOperation(kind: .remountReadOnly, flags: .contentHolder, destination: "."))
        }
        return MountPlan(rootSource: rootSource, operations: ops)
    }

    /// The plan with `.early` on every operation the child may apply before its id maps are written, while
    /// the parent writes them: binds and /proc under a bound root. Operations that create files or a tmpfs
    /// (owned by the creating uid, unmapped until then) stay late, as does everything over a tmpfs root.
    /// An operation also stays late when a late one before it involves a related path (the same path, a
    /// parent or a child, or its in-root source), so related operations keep their order.
    func markingEarlyOperations() -> MountPlan {
        guard rootSource != nil else { return self }
        var marked = self
        var latePaths: [String] = []
        func related(_ a: String, _ b: String) -> Bool {
            a == "." || b == "." || SandboxPath.isSameOrUnder(a, b) || SandboxPath.isSameOrUnder(b, a)
        }
        for index in marked.operations.indices {
            let op = marked.operations[index]
            var paths = [op.destination]
            if op.flags.contains(.sourceInRoot), let source = op.source { paths.append(source) }
            let blocked = latePaths.contains { late in paths.contains { related($0, late) } }
            if op.createsOwnedFiles || blocked {
                latePaths.append(op.destination)
            } else {
                marked.operations[index].flags.insert(.early)
            }
        }
        return marked
    }

    /// The operations for one extra bind: create the mount point where the root is ours to write, then bind.
    /// An operator's source is resolved here (its symlinks are the operator's); a tenant's (a bind with a
    /// root) is taken literally and must not be a symlink. Either way the launch opens the resulting path
    /// again without following any symlink.
    static func bindOperations(_ bind: BindMount, rootSource: String?, inspector: PathInspector) throws(SandboxSpecError) -> [MountOperation] {
        let source: String
        if bind.root != nil {
            source = bind.source
        } else {
            guard let resolved = inspector.resolved(bind.source) else {
                throw .invalid("bind", "source '\(bind.source)' does not exist")
            }
            source = resolved
        }
        let sourceKind = inspector.kind(of: source)
        if case .symlink = sourceKind { throw .invalid("bind", "source '\(bind.source)' is a symlink") }
        if sourceKind == .missing { throw .invalid("bind", "source '\(bind.source)' does not exist") }
        guard sourceKind == .directory || sourceKind == .file else {
            throw .invalid("bind", "source '\(bind.source)' must be a directory or a regular file")
        }
        var ops = try mountPoint(bind.destination, for: sourceKind, field: "bind", rootSource: rootSource, inspector: inspector)
        var flags: MountOperation.Flags = [.noSUID, .noDev, .openedByParent]
        if bind.readOnly { flags.insert(.readOnly) }
        var op = MountOperation.bind(source, on: SandboxPath.relative(bind.destination), flags)
        op.beneath = bind.root
        ops.append(op)
        return ops
    }

    /// The operations that make `destination` a mount point for a `kind` (directory or file) where the root
    /// is ours to write; where it is not, the path must already be there. `field` names the spec's part
    /// in errors.
    static func mountPoint(_ destination: String, for kind: PathKind, field: String, rootSource: String?,
                           inspector: PathInspector) throws(SandboxSpecError) -> [MountOperation] {
        var ops: [MountOperation] = []
        let prefixes = SandboxPath.prefixes(destination)
        for (index, prefix) in prefixes.enumerated() {
            let isLast = index == prefixes.count - 1
            switch try existing(prefix, rootSource: rootSource, inspector: inspector) {
            case .symlink:
                throw .invalid(field, "destination '\(destination)': /\(prefix) is a symlink")
            case .missing:
                guard rootSource == nil, isCreatable(prefix, inspector: inspector) else {
                    throw .invalid(field, "destination '\(destination)': /\(prefix) does not exist in the read-only root")
                }
                ops.append(isLast && kind == .file ? .file(prefix, contents: "", mode: 0o644) : .mkdir(prefix))
            case .directory:
                if isLast && kind == .file { throw .invalid(field, "destination '\(destination)' is a directory but the source is a file") }
            case .file:
                if !isLast { throw .invalid(field, "destination '\(destination)': /\(prefix) is not a directory") }
                if kind == .directory { throw .invalid(field, "destination '\(destination)' is a file but the source is a directory") }
            case .other:
                throw .invalid(field, "destination '\(destination)': /\(prefix) is not a directory or file")
            }
        }
        return ops
    }

    /// What a path in the new root will be before extra binds: for a directory root, what is on disk; for
    /// the host root, what HostRoot creates or binds (looking into bound host trees where needed).
    private static func existing(_ relative: String, rootSource: String?, inspector: PathInspector) throws(SandboxSpecError) -> PathKind {
        if let rootSource { return inspector.kind(of: rootSource + "/" + relative) }
        if relative == "tmp" { return .directory }
        let top = String(relative.split(separator: "/").first ?? "")
        switch HostRoot.entry(named: top, inspector: inspector) {
        case nil: return .missing
        case .symlink?: return .symlink(target: "")
        case .created?: return relative == top ? .directory : .missing
        case .bound(let hostPath)?:
            return inspector.kind(of: hostPath + relative.dropFirst(top.count))
        }
    }

    /// Under the host root only the tmpfs parts can take new mount points: anything not inside a bound host tree.
    private static func isCreatable(_ relative: String, inspector: PathInspector) -> Bool {
        let top = String(relative.split(separator: "/").first ?? "")
        if case .bound? = HostRoot.entry(named: top, inspector: inspector) { return false }
        return true
    }
}
