import Foundation
import Logging

/// The server's log lines on stderr, in swift-log's StreamLogHandler format. Unlike StreamLogHandler it
/// formats metadata only when a line is written: Hummingbird sets a request id on every request's
/// logger, and StreamLogHandler formatted it eagerly each time (about 1.4% of the server's CPU under load).
struct ServerLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static let timestamp: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
        return formatter
    }()

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit { all.merge(explicit) { $1 } }
        let fields = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(Self.timestamp.string(from: Date())) \(level) \(label):\(fields) [\(source)] \(message)\n"
        Self.lock.withLock { FileHandle.standardError.write(Data(text.utf8)) }
    }
}
