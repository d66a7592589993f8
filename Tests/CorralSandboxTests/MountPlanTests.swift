import Testing
@testable import CorralSandbox

@Suite struct BindMountTests {
    @Test func parsesModes() throws {
        #expect(try BindMount(argument: "/a:/b") == BindMount(source: "/a", destination: "/b", readOnly: true))
        #expect(try BindMount(argument: "/a:/b:ro") == BindMount(source: "/a", destination: "/b", readOnly: true))
        #expect(try BindMount(argument: "/a:/b:rw") == BindMount(source: "/a", destination: "/b", readOnly: false))
    }

    @Test(arguments: ["/a", "/a:/b:rx", ":/b", "/a:", "/a:/b:ro:x"])
    func refusesMalformed(_ argument: String) {
        #expect(throws: SandboxSpecError.self) { try BindMount(argument: argument) }
    }

    @Test(arguments: ["/data/../etc", "data", "/", "/proc/x", "/dev", "/sys/fs", "/a//b"])
    func refusesDestinationsThatEscapeOrCollide(_ destination: String) {
        #expect(throws: SandboxSpecError.self) { try BindMount(source: "/srv", destination: destination).validate() }
    }

    @Test func refusesRelativeSource() {
        #expect(throws: SandboxSpecError.self) { try BindMount(source: "srv", destination: "/data").validate() }
    }
}

@Suite struct MountPlanTests {
    let host = FakeInspector.debian

    func plan(_ spec: SandboxSpec) throws -> MountPlan { try MountPlan.make(for: spec, inspector: host) }

    @Test func hostRootBindsUsrAndMirrorsMergedUsrSymlinks() throws {
        let ops = try plan(SandboxSpec(argv: ["/bin/true"])).operations
        #expect(ops.contains(.bind("/usr", on: "usr", [.readOnly, .noSUID, .noDev, .systemBind])))
        #expect(ops.contains(.symlink("bin", to: "usr/bin")))
        #expect(ops.contains(.symlink("lib64", to: "usr/lib64")))
        #expect(!ops.contains { $0.destination == "lib32" })
        // /etc is written, not bound: only root and nobody exist inside.
        #expect(ops.contains { $0.kind == .file && $0.destination == "etc/passwd" })
        #expect(!ops.contains { $0.kind == .bind && $0.source == "/etc" })
        #expect(ops.contains(.bind("/etc/ld.so.cache", on: "etc/ld.so.cache", [.readOnly, .noSUID, .noDev, .systemBind])))
        #expect(ops.contains(.symlink("etc/localtime", to: "/usr/share/zoneinfo/Etc/UTC")))
    }

    @Test func theRootEndsReadOnlyAndEveryBindIsHardened() throws {
        let ops = try plan(SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/srv/data", destination: "/data", readOnly: false)])).operations
        #expect(ops.last == MountOperation(kind: .remountReadOnly, flags: .contentHolder, destination: "."))
        for op in ops where op.kind == .bind && op.source?.hasPrefix("/dev/") != true {
            #expect(op.flags.contains(.noSUID), "\(op.stepName) must be nosuid")
        }
        let data = try #require(ops.first { $0.destination == "data" && $0.kind == .bind })
        #expect(!data.flags.contains(.readOnly))
    }

    @Test func procIsMaskedAndReadOnlyWhereDockerDoesIt() throws {
        let ops = try plan(SandboxSpec(argv: ["/bin/true"])).operations
        let procIndex = try #require(ops.firstIndex { $0.kind == .proc })
        for name in ["kcore", "keys", "timer_list", "sched_debug", "interrupts", "sysrq-trigger"] {
            let i = try #require(ops.firstIndex { $0.destination == "proc/" + name }, "proc/\(name) is not masked")
            #expect(i > procIndex)
            #expect(ops[i].source == "/dev/null" && ops[i].flags.contains(.readOnly))
        }
        for name in ["sys", "bus", "fs", "irq"] {
            let op = try #require(ops.first { $0.destination == "proc/" + name })
            #expect(op.flags.isSuperset(of: [.readOnly, .sourceInRoot]))
        }
        #expect(ops.contains { $0.kind == .tmpfs && $0.destination == "proc/acpi" && $0.flags.contains(.readOnly) })
    }

    @Test func devHoldsOnlyTheFiveDevicesThenGoesReadOnly() throws {
        let ops = try plan(SandboxSpec(argv: ["/bin/true"])).operations
        let devices = ops.filter { $0.kind == .bind && $0.destination.hasPrefix("dev/") }.map(\.destination)
        #expect(devices == ["dev/null", "dev/zero", "dev/full", "dev/random", "dev/urandom"])
        let shm = try #require(ops.firstIndex { $0.kind == .tmpfs && $0.destination == "dev/shm" })
        let readOnly = try #require(ops.firstIndex { $0.kind == .remountReadOnly && $0.destination == "dev" })
        #expect(shm < readOnly)
    }

    @Test func tmpAndShmAreSized() throws {
        var limits = ResourceLimits()
        limits.tmpBytes = 32 << 20
        limits.shmBytes = 8 << 20
        let ops = try plan(SandboxSpec(argv: ["/bin/true"], limits: limits)).operations
        #expect(ops.contains(.tmpfs(on: "tmp", options: "size=33554432,mode=1777", .hardened)))
        #expect(ops.contains(.tmpfs(on: "dev/shm", options: "size=8388608,mode=1777", [.noSUID, .noDev, .noExec])))
    }

    @Test func bindsCreateTheirMountPointsInTheRootTmpfs() throws {
        let ops = try plan(SandboxSpec(argv: ["/bin/true"], binds: [
            BindMount(source: "/srv/data", destination: "/var/task"),
            BindMount(source: "/srv/file.txt", destination: "/tmp/in/file.txt"),
        ])).operations
        #expect(ops.contains(.mkdir("var")) && ops.contains(.mkdir("var/task")))
        #expect(ops.contains(.bind("/srv/data", on: "var/task", [.noSUID, .noDev, .readOnly, .openedByParent])))
        #expect(ops.contains(.mkdir("tmp/in")))
        #expect(ops.contains(.file("tmp/in/file.txt", contents: "")))
    }

    @Test func bindSourcesAreResolvedOnce() throws {
        let ops = try plan(SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/srv/link", destination: "/data")])).operations
        #expect(ops.contains { $0.kind == .bind && $0.source == "/srv/data" && $0.destination == "data" })
    }

    @Test func bindDestinationsThroughSymlinksAreRefused() {
        // /bin is a symlink to usr/bin in the host root.
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/srv/data", destination: "/bin/data")]))
        }
    }

    @Test func bindDestinationsInsideReadOnlyHostTreesMustExist() throws {
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/srv/data", destination: "/usr/new")]))
        }
        let ops = try plan(SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/srv/data", destination: "/usr/local")])).operations
        #expect(!ops.contains(.mkdir("usr/local")))
        #expect(ops.contains { $0.kind == .bind && $0.destination == "usr/local" })
    }

    @Test func missingOrOddSourcesAreRefused() {
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/nope", destination: "/data")]))
        }
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/srv/file.txt", destination: "/tmp")]))
        }
    }

    @Test func directoryRootNeedsRealMountPoints() throws {
        let good = try plan(SandboxSpec(argv: ["/bin/true"], rootFilesystem: .directory("/roots/deb")))
        #expect(good.rootSource == "/roots/deb")
        // Nothing is created in the read-only root itself; only inside the tmpfs mounted on /dev.
        #expect(!good.operations.contains { $0.kind == .makeDirectory && !$0.destination.hasPrefix("dev/") })
        #expect(!good.operations.contains { $0.kind == .remountReadOnly && $0.destination == "." })
        // proc is a symlink to / in this root: mounting on it could land outside.
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], rootFilesystem: .directory("/roots/bad")))
        }
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], rootFilesystem: .directory("/roots/none")))
        }
    }

    @Test func directoryRootBindsNeedExistingNonSymlinkTargets() throws {
        let root = RootFilesystem.directory("/roots/deb")
        _ = try plan(SandboxSpec(argv: ["/bin/true"], rootFilesystem: root, binds: [BindMount(source: "/srv/data", destination: "/opt")]))
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], rootFilesystem: root, binds: [BindMount(source: "/srv/data", destination: "/var/x")]))
        }
        #expect(throws: SandboxSpecError.self) {
            try plan(SandboxSpec(argv: ["/bin/true"], rootFilesystem: root, binds: [BindMount(source: "/srv/data", destination: "/missing")]))
        }
    }
}

@Suite struct EarlyOperationTests {
    func early(_ plan: MountPlan) -> [String] {
        plan.markingEarlyOperations().operations.filter { $0.flags.contains(.early) }.map(\.stepName)
    }

    @Test("under a bound root, binds and /proc go early; files, tmpfs and what depends on them stay late")
    func boundRoot() {
        let plan = MountPlan(rootSource: "/run/corral/skeleton/k", operations: [
            .bind("/usr", on: "usr", [.readOnly]),
            MountOperation(kind: .proc, destination: "proc"),
            .bind("proc/sys", on: "proc/sys", [.readOnly, .sourceInRoot]),
            .tmpfs(on: "proc/acpi", options: "size=0", []),
            .bind("/dev/null", on: "dev/null", []),
            .tmpfs(on: "tmp", options: "size=1m", .hardened),
            .mkdir("tmp/data"),
            .bind("/srv", on: "tmp/data", []),          // inside the late tmpfs: late
            .bind("tmp/data", on: "mnt", [.sourceInRoot]), // its source is under a late path: late
            .bind("/srv/b", on: "srv", []),
        ])
        #expect(early(plan) == ["bind /usr on /usr", "mount proc on /proc", "bind proc/sys on /proc/sys",
                                "bind /dev/null on /dev/null", "bind /srv/b on /srv"])
    }

    @Test("a tmpfs root (nil source) keeps every operation late: the root itself waits for the id maps")
    func tmpfsRoot() {
        let plan = MountPlan(rootSource: nil, operations: [.bind("/usr", on: "usr", [.readOnly]), MountOperation(kind: .proc, destination: "proc")])
        #expect(early(plan).isEmpty)
    }

    @Test("a late remount of the root blocks everything after it")
    func rootRemount() {
        let plan = MountPlan(rootSource: "/srv/root", operations: [
            .bind("/usr", on: "usr", [.readOnly]),
            MountOperation(kind: .remountReadOnly, destination: "."),
            .bind("/opt", on: "opt", [.readOnly]),
        ])
        #expect(early(plan) == ["bind /usr on /usr"])
    }

    @Test("the default host plan, split by its skeleton, does its binds and /proc early")
    func defaultPlan() throws {
        let full = try MountPlan.make(for: SandboxSpec(argv: ["/bin/true"]), inspector: FakeInspector.debian)
        let launch = try #require(RootSkeleton.split(full)).launch
        let marked = MountPlan(rootSource: "/skeleton", operations: launch).markingEarlyOperations().operations
        for op in marked {
            let expectedEarly = op.kind == .bind || op.kind == .proc
            #expect(op.flags.contains(.early) == expectedEarly, "\(op.stepName)")
        }
    }
}
