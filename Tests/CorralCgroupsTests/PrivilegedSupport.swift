import CorralSystem
import Foundation
import Glibc
import Testing
@testable import CorralCgroups

/// Gates and helpers for the tests that need root and a real cgroup hierarchy.
enum Privileged {
    static let isRoot = geteuid() == 0
    /// CI runs the privileged tests as root and wants failures, never skips.
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let shouldRun = isRoot || isCI

    struct Unsupported: Error, CustomStringConvertible {
        let description: String
    }

    /// Skips the test when the kernel cannot run it, except under CI, where that is a failure.
    static func unsupported(_ why: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Never {
        if isCI {
            Issue.record("CI=true but \(why)", sourceLocation: sourceLocation)
            throw Unsupported(description: why)
        }
        try Test.cancel("skipped: \(why)", sourceLocation: sourceLocation)
    }

    /// The host's real cgroups, with the controllers the tests need.
    static func host(needing controllers: [String] = ["memory", "cpu", "pids"]) throws -> CgroupHost {
        guard isRoot else { try unsupported("not root") }
        let host: CgroupHost
        do { host = try CgroupHost.detect() } catch { try unsupported("no cgroups: \(error)") }
        for controller in controllers where !host.controllers.contains(controller) {
            try unsupported("no \(controller) controller (\(host.version): \(host.controllers))")
        }
        return host
    }

    /// A parent group name no one else uses.
    static func parentName(_ tag: String) -> String {
        "corral-test-\(getpid())-\(tag)"
    }

    /// Every directory of the test parent, one per distinct hierarchy (v1) or one (v2).
    static func parentDirectories(host: CgroupHost, parent: String) -> [String] {
        switch host.version {
        case .v2: return [host.root + "/" + parent]
        case .v1:
            var seen: Set<String> = []
            return CgroupHost.v1Controllers.compactMap { host.hierarchies[$0] }
                .filter { seen.insert(CgroupV1.canonicalPath($0)).inserted }
                .map { $0 + "/" + parent }
        }
    }

    /// Kills whatever is left in the test parent's groups and removes them and the parent. Touches nothing else.
    static func cleanUp(host: CgroupHost, parent: String) {
        precondition(parent.hasPrefix("corral-test-"))
        for directory in parentDirectories(host: host, parent: parent) where FileSystem.isDirectory(directory) {
            let children = ((try? FileSystem.list(directory)) ?? []).filter { FileSystem.isDirectory(directory + "/" + $0) }
            for child in children {
                let path = directory + "/" + child
                for _ in 0..<200 {
                    let pids = (try? FileSystem.read(path + "/cgroup.procs")).map(CgroupFormat.pids) ?? []
                    if pids.isEmpty { break }
                    try? FileSystem.write("THAWED", to: path + "/freezer.state")
                    try? FileSystem.write("0", to: path + "/cgroup.freeze")
                    for pid in pids where pid > 0 { kill(pid, SIGKILL) }
                    usleep(10_000)
                }
                removeDirectory(path)
            }
            removeDirectory(directory)
            if FileSystem.exists(directory) { Issue.record("could not remove test cgroup \(directory)") }
        }
    }

    /// rmdir, retried for about 1 s while dying tasks drain.
    static func removeDirectory(_ path: String) {
        for _ in 0..<100 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
    }

    /// The line of /proc/<pid>/cgroup for `controller` ("" for the v2 line), e.g. "/parent/name".
    static func cgroupPath(of pid: Int32, controller: String) -> String? {
        guard let text = try? FileSystem.read("/proc/\(pid)/cgroup") else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[1].split(separator: ",").contains(Substring(controller)) || (controller.isEmpty && fields[1].isEmpty && fields[0] == "0") {
                return String(fields[2])
            }
        }
        return nil
    }
}

/// A child process for the privileged tests, started with posix_spawn. Once reaped it is never signalled
/// again, so a recycled pid is never hit.
final class Child {
    let pid: Int32
    private(set) var reaped = false

    init(pid: Int32) {
        self.pid = pid
    }

    /// Starts `argv` (an absolute path first). The child inherits no extra fds: Swift opens with O_CLOEXEC.
    static func spawn(_ argv: [String]) throws -> Child {
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArgs { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, argv[0], nil, nil, &cArgs, environ)
        guard code == 0 else { throw SystemError(stage: "posix_spawn \(argv[0])", errno: code) }
        return Child(pid: pid)
    }

    /// Starts `script` with /bin/sh after the shell has stopped itself, and waits until it has: the caller can
    /// attach it to a cgroup before it runs anything, then `resume()` it.
    static func spawnStopped(shell script: String) throws -> Child {
        let child = try spawn(["/bin/sh", "-c", "kill -STOP $$; " + script])
        let status = child.wait(options: WUNTRACED)
        guard status & 0xff == 0x7f else { throw SystemError(stage: "child did not stop (status \(status))", errno: ECHILD) }
        return child
    }

    func resume() {
        precondition(!reaped)
        kill(pid, SIGCONT)
    }

    /// waitpid; returns the raw status.
    @discardableResult
    func wait(options: Int32 = 0) -> Int32 {
        precondition(!reaped)
        var status: Int32 = 0
        while waitpid(pid, &status, options) == -1 && errno == EINTR {}
        if status & 0xff != 0x7f { reaped = true }
        return status
    }

    /// For cleanup: SIGKILL and reap, unless already reaped.
    func killAndReap() {
        guard !reaped else { return }
        kill(pid, SIGKILL)
        wait()
    }

    /// The signal that killed the child, from a waitpid status, or nil when it exited.
    static func terminatingSignal(_ status: Int32) -> Int32? {
        let signal = status & 0x7f
        return signal != 0 && signal != 0x7f ? signal : nil
    }

    static func exitCode(_ status: Int32) -> Int32? {
        status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }
}

/// The real kernel without `cgroup.kill`, to run killAll's freeze-and-signal path on a 5.14+ kernel.
struct KernelWithoutCgroupKill: CgroupKernel {
    let real = LinuxCgroupKernel()
    func read(_ path: String) throws(SystemError) -> String { try real.read(path) }
    func write(_ value: String, to path: String) throws(SystemError) { try real.write(value, to: path) }
    func exists(_ path: String) -> Bool { path.hasSuffix("/cgroup.kill") ? false : real.exists(path) }
    func isDirectory(_ path: String) -> Bool { real.isDirectory(path) }
    func list(_ path: String) throws(SystemError) -> [String] { try real.list(path) }
    func makeDirectory(_ path: String) throws(SystemError) { try real.makeDirectory(path) }
    func removeDirectory(_ path: String) throws(SystemError) { try real.removeDirectory(path) }
    func signal(_ pid: Int32, _ signal: Int32) { real.signal(pid, signal) }
    func pause(milliseconds: Int) { real.pause(milliseconds: milliseconds) }
}
