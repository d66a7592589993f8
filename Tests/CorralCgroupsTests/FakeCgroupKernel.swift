import CorralSystem
import Foundation
import Glibc
@testable import CorralCgroups

/// Plays the kernel over a fake cgroup tree in a temporary directory: mkdir fills a new group with the
/// interface files a kernel would show, writes follow the kernel's rules for the files that have them
/// (`cgroup.subtree_control`, `cgroup.procs`, `cgroup.kill`), and every write and signal is recorded.
final class FakeCgroupKernel: CgroupKernel, @unchecked Sendable {
    struct Write: Equatable, CustomStringConvertible {
        let path: String
        let value: String
        var description: String { "\(path) <- \(value)" }
    }

    let tree: FakeTree
    private let lock = NSLock()
    private var _writes: [Write] = []
    private var _signals: [(pid: Int32, signal: Int32)] = []
    private var _pauses = 0
    /// Writes to a path ending in one of these names fail with the given errno.
    var failingWrites: [String: Int32] = [:]
    /// How many times rmdir answers EBUSY before it succeeds.
    var busyRemovals = 0
    /// Pids that SIGKILL does not remove (a process stuck in the kernel).
    var unkillable: Set<Int32> = []

    init(tree: FakeTree) {
        self.tree = tree
    }

    var writes: [Write] { lock.withLock { _writes } }
    var signals: [(pid: Int32, signal: Int32)] { lock.withLock { _signals } }
    var pauses: Int { lock.withLock { _pauses } }

    /// The writes below `prefix` (relative to the tree root), with paths made relative too.
    func writes(under prefix: String = "") -> [Write] {
        writes.compactMap { write in
            let relative = String(write.path.dropFirst(tree.root.count + 1))
            return relative.hasPrefix(prefix) ? Write(path: relative, value: write.value) : nil
        }
    }

    func read(_ path: String) throws(SystemError) -> String { try FileSystem.read(path) }
    func exists(_ path: String) -> Bool { FileSystem.exists(path) }
    func isDirectory(_ path: String) -> Bool { FileSystem.isDirectory(path) }
    func list(_ path: String) throws(SystemError) -> [String] { try FileSystem.list(path) }
    func pause(milliseconds: Int) { lock.withLock { _pauses += 1 } }

    func write(_ value: String, to path: String) throws(SystemError) {
        lock.withLock { _writes.append(Write(path: path, value: value)) }
        let name = (path as NSString).lastPathComponent
        if let code = failingWrites[name] { throw SystemError(stage: "write \(path)", errno: code) }
        guard FileSystem.exists(path) else { throw SystemError(stage: "open \(path)", errno: ENOENT) }
        let directory = (path as NSString).deletingLastPathComponent
        switch name {
        case "cgroup.subtree_control":
            var enabled = CgroupFormat.names(try read(path))
            for change in CgroupFormat.names(value) {
                let controller = String(change.dropFirst())
                if change.hasPrefix("+"), !enabled.contains(controller) { enabled.append(controller) }
                if change.hasPrefix("-") { enabled.removeAll { $0 == controller } }
            }
            tree.put(enabled.joined(separator: " ") + "\n", at: path)
        case "cgroup.procs":
            tree.put(try read(path) + value + "\n", at: path)
        case "cgroup.kill" where value == "1":
            tree.put("", at: directory + "/cgroup.procs")
        default:
            tree.put(value + "\n", at: path)
        }
    }

    func makeDirectory(_ path: String) throws(SystemError) {
        try FileSystem.makeDirectory(path)
        for (name, contents) in tree.groupFiles(forNewDirectory: path) {
            tree.put(contents, at: path + "/" + name)
        }
    }

    /// Like the kernel: a group with processes is EBUSY; otherwise its interface files vanish with it.
    func removeDirectory(_ path: String) throws(SystemError) {
        guard FileSystem.isDirectory(path) else { throw SystemError(stage: "rmdir \(path)", errno: ENOENT) }
        let busy: Bool = lock.withLock {
            if busyRemovals > 0 { busyRemovals -= 1; return true }
            return false
        }
        let procs = (try? read(path + "/cgroup.procs")).map(CgroupFormat.pids) ?? []
        if busy || !procs.isEmpty { throw SystemError(stage: "rmdir \(path)", errno: EBUSY) }
        for name in (try FileSystem.list(path)) where !FileSystem.isDirectory(path + "/" + name) {
            unlink(path + "/" + name)
        }
        try FileSystem.removeDirectory(path)
    }

    /// SIGKILL removes the pid from every `cgroup.procs` in the tree, unless it is unkillable.
    func signal(_ pid: Int32, _ signal: Int32) {
        let killable = lock.withLock {
            _signals.append((pid, signal))
            return !unkillable.contains(pid)
        }
        guard signal == SIGKILL, killable else { return }
        for file in tree.files(named: "cgroup.procs") {
            let pids = (try? read(file)).map(CgroupFormat.pids) ?? []
            tree.put(pids.filter { $0 != pid }.map { "\($0)\n" }.joined(), at: file)
        }
    }
}
