import Foundation
import Testing
@testable import CorralSandbox

@Suite struct RootSkeletonTests {
    let host = FakeInspector.debian

    func split(_ spec: SandboxSpec) throws -> (skeleton: [MountOperation], launch: [MountOperation]) {
        try #require(RootSkeleton.split(try MountPlan.make(for: spec, inspector: host)))
    }

    @Test func contentGoesToTheSkeletonAndMountsStayWithTheLaunch() throws {
        let (skeleton, launch) = try split(SandboxSpec(argv: ["/bin/true"]))
        #expect(skeleton.allSatisfy { [.makeDirectory, .file, .symlink].contains($0.kind) })
        #expect(skeleton.contains(.symlink("bin", to: "usr/bin")))
        #expect(skeleton.contains { $0.destination == "etc/passwd" })
        #expect(skeleton.contains { $0.destination == "dev/null" && $0.kind == .file })
        #expect(skeleton.contains(.mkdir("dev/shm", mode: 0o1777)))
        #expect(launch.allSatisfy { ![.makeDirectory, .file, .symlink].contains($0.kind) })
        #expect(launch.contains(.bind("/usr", on: "usr", [.readOnly, .noSUID, .noDev, .systemBind])))
        #expect(launch.contains { $0.kind == .proc })
        // The tmpfs that only held /dev's files, and the read-only remounts of the root and /dev, go away:
        // the skeleton is bound read-only as a whole.
        #expect(!launch.contains { $0.flags.contains(.contentHolder) })
        #expect(!launch.contains { $0.kind == .tmpfs && $0.destination == "dev" })
        #expect(launch.contains { $0.kind == .tmpfs && $0.destination == "dev/shm" })
    }

    @Test func contentUnderAPerLaunchTmpfsStaysWithTheLaunch() throws {
        let (skeleton, launch) = try split(SandboxSpec(argv: ["/bin/true"], binds: [
            BindMount(source: "/srv/file.txt", destination: "/tmp/in/file.txt"),
            BindMount(source: "/srv/data", destination: "/var/task"),
        ]))
        #expect(launch.contains(.mkdir("tmp/in")) && launch.contains(.file("tmp/in/file.txt", contents: "")))
        #expect(!skeleton.contains { $0.destination.hasPrefix("tmp/") })
        // A new top-level mount point is content of the skeleton.
        #expect(skeleton.contains(.mkdir("var")) && skeleton.contains(.mkdir("var/task")))
        let tmpMount = try #require(launch.firstIndex { $0.kind == .tmpfs && $0.destination == "tmp" })
        let inDir = try #require(launch.firstIndex(of: .mkdir("tmp/in")))
        #expect(tmpMount < inDir, "content under /tmp must come after /tmp is mounted")
    }

    @Test func directoryRootsAreNotSplit() throws {
        #expect(RootSkeleton.split(try MountPlan.make(for: SandboxSpec(argv: ["/bin/true"], rootFilesystem: .directory("/roots/deb")), inspector: host)) == nil)
    }

    @Test func keysFollowContent() throws {
        let a = try split(SandboxSpec(argv: ["/bin/true"], hostname: "a")).skeleton
        let a2 = try split(SandboxSpec(argv: ["/bin/true"], hostname: "a")).skeleton
        let b = try split(SandboxSpec(argv: ["/bin/true"], hostname: "b")).skeleton
        #expect(RootSkeleton.key(a) == RootSkeleton.key(a2))
        #expect(RootSkeleton.key(a) != RootSkeleton.key(b))
    }

    @Test func prepareWritesOnceAndReuses() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("corral-skeleton-test-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (skeleton, _) = try split(SandboxSpec(argv: ["/bin/true"], hostname: "box"))
        let path = try RootSkeleton(base: base).prepare(skeleton)
        #expect(path == base + "/" + RootSkeleton.key(skeleton))
        #expect(try String(contentsOfFile: path + "/etc/hostname", encoding: .utf8) == "box\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path + "/bin") == "usr/bin")
        #expect(FileManager.default.fileExists(atPath: path + "/dev/null"))
        // A second prepare finds it and writes nothing; no temporary directory is left.
        let marker = path + "/etc/hostname"
        let before = try FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as? Date
        #expect(try RootSkeleton(base: base).prepare(skeleton) == path)
        #expect(try FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as? Date == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base) == [RootSkeleton.key(skeleton)])
    }
}
