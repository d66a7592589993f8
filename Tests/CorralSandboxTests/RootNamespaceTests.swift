import Foundation
import Testing
@testable import CorralSandbox

@Suite struct RootNamespaceTests {
    let host = FakeInspector.debian

    /// A host-root plan as the launcher has it after the skeleton split: bound from a skeleton directory.
    func skeletonPlan(_ spec: SandboxSpec) throws -> MountPlan {
        let plan = try MountPlan.make(for: spec, inspector: host)
        let (_, launch) = try #require(RootSkeleton.split(plan))
        return MountPlan(rootSource: "/run/corral/skeleton/k", operations: launch)
    }

    @Test func theSystemBindsGoToTheNamespaceAndEverythingElseStaysWithTheLaunch() throws {
        let spec = SandboxSpec(argv: ["/bin/true"], binds: [BindMount(source: "/srv/data", destination: "/var/task")])
        let plan = try skeletonPlan(spec)
        let (shared, launch) = try #require(RootNamespace.split(plan))
        #expect(shared.map(\.destination) == ["usr", "etc/ld.so.cache", "etc/ssl", "dev/null", "dev/zero", "dev/full", "dev/random", "dev/urandom"])
        #expect(shared.allSatisfy { $0.kind == .bind && $0.flags.contains(.systemBind) && $0.source?.hasPrefix("/") == true })
        // The launch keeps /proc, its masks, the tmpfs mounts and the spec's own bind, in their order.
        #expect(launch.contains { $0.kind == .proc && $0.destination == "proc" })
        #expect(launch.contains { $0.kind == .tmpfs && $0.destination == "tmp" })
        #expect(launch.contains { $0.kind == .tmpfs && $0.destination == "dev/shm" })
        #expect(launch.contains(.bind("/srv/data", on: "var/task", [.noSUID, .noDev, .readOnly, .openedByParent])))
        #expect(!launch.contains { $0.flags.contains(.systemBind) })
        #expect(launch.count + shared.count == plan.operations.count)
    }

    @Test func masksFromAHostFileTheNamespaceHoldsBindFromInsideTheRoot() throws {
        let (_, launch) = try #require(RootNamespace.split(try skeletonPlan(SandboxSpec(argv: ["/bin/true"]))))
        let masks = launch.filter { $0.kind == .bind && $0.destination.hasPrefix("proc/") && !ProcFilesystem.readOnlyPaths.contains(String($0.destination.dropFirst(5))) }
        #expect(masks.count == ProcFilesystem.maskedFiles.count)
        for mask in masks {
            #expect(mask.source == "dev/null" && mask.flags.contains(.sourceInRoot), "\(mask)")
            #expect(mask.flags.isSuperset(of: [.readOnly, .noSUID, .noExec, .optional]), "\(mask)")
        }
    }

    @Test func aTmpfsRootHasNoNamespace() throws {
        let plan = try MountPlan.make(for: SandboxSpec(argv: ["/bin/true"]), inspector: host)
        #expect(plan.rootSource == nil)
        #expect(RootNamespace.split(plan) == nil)
    }

    @Test func aDirectoryRootSharesOnlyTheDeviceBinds() throws {
        let plan = try MountPlan.make(for: SandboxSpec(argv: ["/bin/true"], rootFilesystem: .directory("/roots/deb")), inspector: host)
        let (shared, _) = try #require(RootNamespace.split(plan))
        #expect(shared.map(\.destination) == DevFilesystem.devices.map { "dev/" + $0 })
    }

    /// ldconfig and package upgrades replace files by renaming a new one into place: the bind in a namespace
    /// built before would go on showing the old file, so the key changes with the file's identity.
    @Test func replacingABoundFileChangesTheKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corral-rootns-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/ld.so.cache"
        try "old".write(toFile: file, atomically: false, encoding: .utf8)
        let shared = [MountOperation.bind(file, on: "etc/ld.so.cache", [.readOnly, .systemBind])]
        let before = RootNamespace.key(rootSource: directory, shared: shared)
        #expect(RootNamespace.key(rootSource: directory, shared: shared) == before, "same files, same key")
        try "new".write(toFile: file + ".tmp", atomically: false, encoding: .utf8)
        #expect(rename(file + ".tmp", file) == 0)
        #expect(RootNamespace.key(rootSource: directory, shared: shared) != before)
    }
}
