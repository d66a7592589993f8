import Foundation

/// Each function's log: its output and the platform's START/END/REPORT lines, one file per function under
/// `ROOT/<account>/<function>.log`, appended as lines arrive. `corral logs` and GET .../logs read them.
public final class FunctionLogs: @unchecked Sendable {
    public let root: String
    private let lock = NSLock()
    /// Bytes kept per function; past it the oldest half is dropped (output is capped, a function cannot
    /// fill the disk).
    public let limit: Int

    public init(root: String, limit: Int = 8 << 20) {
        self.root = root
        self.limit = limit
    }

    func path(account: String, function: String) -> String { "\(root)/\(account)/\(function).log" }

    public func append(account: String, function: String, _ text: String) {
        let file = path(account: account, function: function)
        lock.withLock {
            try? FileManager.default.createDirectory(atPath: "\(root)/\(account)", withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: file) { FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]) }
            guard let handle = FileHandle(forWritingAtPath: file) else { return }
            defer { try? handle.close() }
            let size = (try? handle.seekToEnd()) ?? 0
            if Int(size) > limit, let data = FileManager.default.contents(atPath: file) {
                try? handle.truncate(atOffset: 0)
                try? handle.write(contentsOf: data.suffix(limit / 2))
            }
            try? handle.write(contentsOf: Data(text.utf8))
        }
    }

    /// The log, or its last `tail` bytes.
    public func read(account: String, function: String, tail: Int? = nil) -> String {
        let data = lock.withLock { FileManager.default.contents(atPath: path(account: account, function: function)) } ?? Data()
        return String(decoding: tail.map { data.suffix($0) } ?? data, as: UTF8.self)
    }

    public func remove(account: String, function: String) {
        lock.withLock { try? FileManager.default.removeItem(atPath: path(account: account, function: function)) }
    }
}
