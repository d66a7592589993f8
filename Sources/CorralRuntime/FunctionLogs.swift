import CorralSystem
import Foundation

/// Each function's log: its output and the platform's START/END/REPORT lines, one file per function under
/// `ROOT/<account>/<function>.log`, appended as lines arrive. `corral logs` and GET .../logs read them.
///
/// Files stay open between appends (an invocation writes several chunks; opening, seeking and closing for
/// each was repeated work on the invoke path), at most `openLimit` of them.
public final class FunctionLogs: @unchecked Sendable {
    public let root: String
    private let lock = NSLock()
    /// Bytes kept per function; past it the oldest half is dropped (output is capped, a function cannot
    /// fill the disk).
    public let limit: Int
    private var open: [String: (fd: Int32, size: Int)] = [:]
    private let openLimit = 256

    public init(root: String, limit: Int = 8 << 20) {
        self.root = root
        self.limit = limit
    }

    deinit {
        for file in open.values { FileDescriptor.close(file.fd) }
    }

    func path(account: String, function: String) -> String { "\(root)/\(account)/\(function).log" }

    public func append(account: String, function: String, _ text: String) {
        let file = path(account: account, function: function)
        lock.withLock {
            guard var handle = handle(file, account: account) else { return }
            if handle.size > limit, let data = FileManager.default.contents(atPath: file) {
                // Keep the newest half: rewrite the file (rare; O_APPEND writes go to the new end).
                _ = ftruncate(handle.fd, 0)
                let kept = data.suffix(limit / 2)
                kept.withUnsafeBytes { try? FileDescriptor.writeAll(handle.fd, $0) }
                handle.size = kept.count
            }
            var bytes = Array(text.utf8)
            bytes.withUnsafeBytes { try? FileDescriptor.writeAll(handle.fd, $0) }
            handle.size += bytes.count
            bytes.removeAll()
            open[file] = handle
        }
    }

    /// The open file of `path` (opened, and its directory made, on first use). Called with the lock held.
    private func handle(_ path: String, account: String) -> (fd: Int32, size: Int)? {
        if let handle = open[path] { return handle }
        if open.count >= openLimit {
            for file in open.values { FileDescriptor.close(file.fd) }
            open.removeAll()
        }
        try? FileSystem.makeDirectories("\(root)/\(account)", mode: 0o700)
        guard let fd = try? FileDescriptor.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode: 0o600) else { return nil }
        var status = stat()
        let size = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
        open[path] = (fd, size)
        return (fd, size)
    }

    /// The log, or its last `tail` bytes.
    public func read(account: String, function: String, tail: Int? = nil) -> String {
        let data = lock.withLock { FileManager.default.contents(atPath: path(account: account, function: function)) } ?? Data()
        return String(decoding: tail.map { data.suffix($0) } ?? data, as: UTF8.self)
    }

    /// Closes the function's file if it is open (the next append opens it again).
    public func close(account: String, function: String) {
        let file = path(account: account, function: function)
        lock.withLock {
            if let handle = open.removeValue(forKey: file) { FileDescriptor.close(handle.fd) }
        }
    }

    public func remove(account: String, function: String) {
        let file = path(account: account, function: function)
        lock.withLock {
            if let handle = open.removeValue(forKey: file) { FileDescriptor.close(handle.fd) }
            try? FileManager.default.removeItem(atPath: file)
        }
    }
}
