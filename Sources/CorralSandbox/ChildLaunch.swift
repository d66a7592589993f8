import CCorral
import CorralCgroups
import CorralSeccomp
import CorralSystem
import Foundation

/// One launch, parent side: prepares the C attrs, has the child born inside its cgroup, clones on a thread
/// that outlives it (the caller's when that is the main thread, else the spawn thread), lets corral_spawn
/// write the id maps and release it, and waits for its exec (or its error record).
struct ChildLaunch {
    let launcher: SandboxLauncher
    let spec: SandboxSpec
    let plan: MountPlan
    let filter: SandboxFilter?
    let cgroup: Cgroup
    let stdio: SandboxStdio
    let started: UInt64
    /// When the launcher's own preparation steps ended (empty unless tracing).
    let preparePoints: [SpawnTrace.Point]
    /// The caller's namespace for the sandbox, if any (duplicated here; the caller keeps its own fd).
    let networkNamespace: NetworkNamespace?

    func run() throws(SandboxError) -> SandboxProcess {
        // Every fd opened here; each is closed on the way out unless handed to the SandboxProcess.
        var owned: [Int32] = []
        defer { owned.forEach(FileDescriptor.close) }
        let sync, errors, status: (read: Int32, write: Int32)
        var trace: (read: Int32, write: Int32) = (-1, -1)
        var cgroupFD: Int32 = -1
        var netns: Int32 = -1
        var ipcns: Int32 = -1
        var bindSources: [Int: Int32] = [:]
        do {
            sync = try FileDescriptor.pipe()
            owned += [sync.read, sync.write]
            errors = try FileDescriptor.pipe()
            owned += [errors.read, errors.write]
            status = try FileDescriptor.pipe()
            owned += [status.read, status.write]
            if launcher.configuration.traceSpawn {
                trace = try FileDescriptor.pipe()
                owned += [trace.read, trace.write]
            }
            if let given = networkNamespace {
                netns = try syscall("dup a network namespace fd") { fcntl(given.fd, F_DUPFD_CLOEXEC, 0) }
                owned.append(netns)
            } else if let fd = launcher.networkNamespaces?.take() {
                netns = fd
                owned.append(fd)
            }
            if let fd = launcher.ipcNamespaces?.take() {
                ipcns = fd
                owned.append(fd)
            }
            if launcher.clone3Supported, let path = cgroup.unifiedPath {
                cgroupFD = try FileDescriptor.open(path, O_DIRECTORY | O_RDONLY)
                owned.append(cgroupFD)
            }
            bindSources = try openBindSources()
            owned += bindSources.values
        } catch {
            throw .host(error)
        }

        var points: [SpawnTrace.Point] = [.init(phase: .requested, nanoseconds: started)] + preparePoints
        points.append(.init(phase: .prepared, nanoseconds: MonotonicClock.now()))
        let tracing = trace.write >= 0
        let spawned = withAttrs(cgroupFD: cgroupFD, netns: netns, ipcns: ipcns, bindSources: bindSources, sync: sync.read, release: sync.write, error: errors.write,
                                status: status.write, trace: trace.write) { attrs, innerFilter in
            let built = MonotonicClock.now()
            let split = filter?.split
            let mainMayTake = launcher.configuration.mainThreadCarriesFilter
            return SpawnThread.run(carrying: split?.outer, mainMayTake: mainMayTake) { carried -> (failure: SystemError?, result: corral_spawn_result, points: [SpawnTrace.Point]) in
                var points: [SpawnTrace.Point] = []
                if tracing { points = [.init(phase: .attrsBuilt, nanoseconds: built), .init(phase: .onSpawnThread, nanoseconds: MonotonicClock.now())] }
                var r = corral_spawn_result()
                var a = attrs
                // This thread carries the outer half of the profile: the sandbox loads only the inner one.
                if let split, carried == split.outer, let inner = innerFilter {
                    a.seccomp_filter = inner
                    a.seccomp_len = UInt16(split.inner.instructionCount)
                }
                // v1: be born in the sandbox's groups (see CgroupThread); if that fails the parent attaches later.
                // corral_spawn takes the thread back home through leave_fds right after the clone.
                let entered = a.cgroup_fd < 0 && enterGroups()
                if tracing && entered { points.append(.init(phase: .groupsEntered, nanoseconds: MonotonicClock.now())) }
                let home = launcher.spawnThreadHome
                let failure = home.withUnsafeBufferPointer { fds in
                    if entered {
                        a.born_in_cgroup = 1
                        a.leave_fds = fds.baseAddress
                        a.leave_fd_count = fds.count
                    }
                    do throws(SystemError) {
                        try syscall("clone") { corral_spawn(&a, &r) }
                        return SystemError?.none
                    } catch {
                        return error
                    }
                }
                if tracing { points.append(.init(phase: .parentReleased, nanoseconds: MonotonicClock.now())) }
                if entered { r.into_cgroup = 1 }
                return (failure, r, points)
            }
        }
        let result = spawned.result
        points += spawned.points
        if let failure = spawned.failure { throw .host(failure) }
        // The child holds its own copies of its ends now; the status pipe's read end moves to the process.
        for fd in [sync.read, errors.write, status.write, cgroupFD, trace.write, netns, ipcns] + bindSources.values { FileDescriptor.close(fd) }
        owned = [errors.read, sync.write, trace.read]
        let process = SandboxProcess(pid: result.pid, pidfd: result.pidfd, statusFD: status.read, cgroup: cgroup,
                                     started: started, timeoutMilliseconds: spec.limits.timeoutMilliseconds,
                                     usedClone3: result.used_clone3 != 0, spawnedIntoCgroup: result.into_cgroup != 0)
        do throws(SandboxError) {
            if result.release_step != 0 {
                // The child may have failed first (its early mounts run while the maps are written): once it
                // is dead, its error record, if any, names the real cause.
                process.abandon()
                try waitForExec(errors.read)
                let stage = ["write uid_map", "write setgroups", "write gid_map", "release the child"][Int(result.release_step) - 1]
                throw SandboxError.host(SystemError(stage: stage, errno: result.release_errno))
            }
            if result.released == 0 { try attachAndRelease(pid: result.pid, sync: sync.write) }
            try waitForExec(errors.read)
        } catch {
            process.abandon()
            throw error
        }
        if trace.read >= 0 {
            points.append(.init(phase: .execConfirmed, nanoseconds: MonotonicClock.now()))
            process.spawnTrace = SpawnTrace(points: (points + SpawnTrace.read(from: trace.read)).sorted { $0.nanoseconds < $1.nanoseconds })
        }
        return process
    }

    /// The binds whose mounts the parent makes and hands over by fd (keyed by the operation's index):
    /// - every bind the spec asked for (`.openedByParent`): its source opened without following a symlink
    ///   in any component, beneath its pinned root when it has one (a tenant's grant, then not recursive),
    ///   else beneath `/` (its path already resolved by the plan). A path swapped for a symlink since the
    ///   plan fails the launch (ELOOP) rather than binding what the link names;
    /// - inside a RootNamespace, where the child cannot see host paths, the other host binds too.
    /// A missing source of an optional bind gets no fd, and the child skips it.
    private func openBindSources() throws(SystemError) -> [Int: Int32] {
        var fds: [Int: Int32] = [:]
        do throws(SystemError) {
            for (index, op) in plan.operations.enumerated() where op.bindsHostPath {
                let flags = op.flags.subtracting(.swiftOnly).rawValue
                if op.flags.contains(.openedByParent) {
                    fds[index] = try openGrantedSource(op, flags: flags)
                    continue
                }
                guard plan.rootNamespace != nil else { continue }
                do {
                    fds[index] = try syscall(op.stepName) { corral_open_bind_source(op.source ?? "", flags) }
                } catch where error.errno == ENOENT && op.flags.contains(.optional) {
                    continue
                }
            }
        } catch {
            fds.values.forEach(FileDescriptor.close)
            throw error
        }
        return fds
    }

    private func openGrantedSource(_ op: MountOperation, flags: Int32) throws(SystemError) -> Int32 {
        let source = op.source ?? ""
        let opened: Int32
        if let root = op.beneath {
            guard let relative = root.relative(source) else { throw SystemError(stage: "\(op.stepName): not under \(root.path)", errno: EXDEV) }
            opened = try root.open(relative)
        } else {
            let slash = try FileDescriptor.open("/", FileDescriptor.pathOnly | O_DIRECTORY)
            defer { FileDescriptor.close(slash) }
            opened = try syscall("\(op.stepName): open without following symlinks") {
                corral_open_beneath(slash, source == "/" ? "." : String(source.drop(while: { $0 == "/" })), FileDescriptor.pathOnly)
            }
        }
        defer { FileDescriptor.close(opened) }
        return try syscall(op.stepName) { corral_clone_bind_fd(opened, flags, op.beneath == nil ? 1 : 0) }
    }

    /// Moves the spawn thread into the sandbox's v1 groups. Runs on the thread that clones.
    private func enterGroups() -> Bool {
        guard launcher.cgroupHost.version == .v1, !launcher.spawnThreadHome.isEmpty else { return false }
        do {
            try CgroupThread.move(to: cgroup.threadDirectories)
            return true
        } catch {
            // Partly moved: go back; the child then joins its groups the slow way. A supervisor thread left in
            // a sandbox's group would be killed with it, so failing to go back is fatal.
            for fd in launcher.spawnThreadHome {
                do {
                    try syscall("write 0 to a home tasks file") { Glibc.write(fd, "0", 1) }
                } catch {
                    fatalError("corral: cannot move the cloning thread back to its cgroups: \(error)")
                }
            }
            return false
        }
    }

    /// When the child was not born in its cgroup (no clone3 on v2, or the v1 thread move failed): move it
    /// there, then let it go.
    private func attachAndRelease(pid: Int32, sync: Int32) throws(SandboxError) {
        do {
            try cgroup.attach(pid: pid)
            var go: UInt8 = 1
            try withUnsafeBytes(of: &go) { (p) throws(SystemError) in try FileDescriptor.writeAll(sync, p) }
        } catch {
            throw .host(error)
        }
    }

    /// EOF on the error pipe means the exec succeeded (CLOEXEC closed the last copy); a record means a step failed.
    private func waitForExec(_ fd: Int32) throws(SandboxError) {
        var record = corral_child_error()
        let size = MemoryLayout<corral_child_error>.size
        let n: Int
        do {
            n = try withUnsafeMutableBytes(of: &record) { (p) throws(SystemError) in try FileDescriptor.read(fd, into: p) }
        } catch {
            throw .host(error)
        }
        if n == 0 { return }
        guard n == size else { throw .child(step: "read the child's error record", errno: EIO) }
        var step = SpawnStep.name(record.step)
        if record.step == Int32(CORRAL_STEP_OP.rawValue), record.op_index >= 0, Int(record.op_index) < plan.operations.count {
            step = plan.operations[Int(record.op_index)].stepName
        } else if record.step == Int32(CORRAL_STEP_EXECVE.rawValue) {
            step = "execve \(spec.argv[0])"
        } else if let limit = spec.limits.childStepName(step: record.step, index: record.op_index) {
            step = limit
        }
        throw .child(step: step, errno: record.error)
    }

    /// Builds the C attrs (every pointer owned by one arena that outlives the call).
    private func withAttrs<T>(cgroupFD: Int32, netns: Int32, ipcns: Int32, bindSources: [Int: Int32], sync: Int32, release: Int32, error: Int32, status: Int32, trace: Int32,
                              _ body: (corral_spawn_attrs, _ innerFilter: UnsafeRawPointer?) -> T) -> T {
        let arena = CStringArena()
        var ops = plan.operations.map { $0.cOperation(arena) }
        for (index, op) in plan.operations.enumerated() where op.bindsHostPath && (plan.rootNamespace != nil || op.flags.contains(.openedByParent)) {
            ops[index].flags |= Int32(CORRAL_OPF_SRC_FD.rawValue)
            ops[index].src_fd = bindSources[index] ?? -1
        }
        let rlimits = spec.limits.cRLimits
        let userSysctls = spec.limits.cUserSysctls(arena)
        let environment = spec.effectiveEnvironment
        let searchPath = environment.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) }
        let childFDs = [stdio.stdin, stdio.stdout, stdio.stderr] + stdio.extra
        var attrs = corral_spawn_attrs()
        attrs.use_clone3 = launcher.clone3Supported ? 1 : 0
        attrs.cgroup_fd = cgroupFD
        attrs.namespaces = corral_sandbox_namespaces()
        attrs.netns_fd = netns
        attrs.host_netns_fd = launcher.hostNetworkNamespace
        attrs.ipcns_fd = ipcns
        attrs.host_ipcns_fd = launcher.hostIPCNamespace
        attrs.root_ns_fd = plan.rootNamespace?.fd ?? -1
        attrs.host_mnt_ns_fd = launcher.hostMountNamespace
        attrs.sync_fd = sync
        attrs.error_fd = error
        attrs.status_fd = status
        attrs.release_fd = release
        attrs.uid_map = arena.string("0 \(spec.identity.hostUID) 1\n")
        attrs.gid_map = arena.string("0 \(spec.identity.hostGID) 1\n")
        attrs.trace_fd = trace
        attrs.staging_dir = arena.string(launcher.configuration.stagingDirectory)
        attrs.root_source = arena.optionalString(plan.rootSource)
        attrs.root_tmpfs_data = arena.string(MountPlan.rootTmpfsOptions)
        attrs.ops = arena.array(ops)
        attrs.op_count = ops.count
        attrs.hostname = arena.string(spec.hostname)
        attrs.cwd = arena.string(spec.workingDirectory)
        if let area = SupervisorIdentity.argvArea {
            attrs.argv_area = UnsafeMutablePointer(bitPattern: area.start)
            attrs.argv_area_len = area.length
        }
        attrs.loopback_up = spec.network == .loopback ? 1 : 0
        attrs.rlimits = arena.array(rlimits)
        attrs.rlimit_count = rlimits.count
        attrs.user_sysctls = arena.array(userSysctls)
        attrs.user_sysctl_count = userSysctls.count
        attrs.last_cap = launcher.lastCapability
        attrs.child_fds = arena.array(childFDs)
        attrs.child_fd_count = childFDs.count
        attrs.exec_file = arena.string(spec.argv[0])
        attrs.search_path = arena.optionalString(searchPath)
        attrs.argv = arena.stringArray(spec.argv)
        attrs.envp = arena.stringArray(environment)
        // The whole profile by default; the inner half when the cloning thread turns out to carry the outer.
        // Both are lent from the cached programs, not copied.
        guard let filter, filter.full.instructionCount > 0 else { return withExtendedLifetime(arena) { body(attrs, nil) } }
        return filter.full.withUnsafeFilter { full, count in
            attrs.seccomp_filter = full
            attrs.seccomp_len = UInt16(count)
            guard let split = filter.split else { return withExtendedLifetime(arena) { body(attrs, nil) } }
            return split.inner.withUnsafeFilter { inner, _ in withExtendedLifetime(arena) { body(attrs, inner) } }
        }
    }
}
