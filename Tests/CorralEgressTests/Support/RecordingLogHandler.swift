import Logging
import Synchronization

/// Keeps what a logger logged, so a test can check that refusals are logged.
final class LogRecord: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let store = Mutex<[Entry]>([])

    var entries: [Entry] { store.withLock { $0 } }

    func append(_ entry: Entry) { store.withLock { $0.append(entry) } }

    var logger: Logger {
        var logger = Logger(label: "corral.egress.test") { _ in RecordingLogHandler(record: self) }
        logger.logLevel = .debug
        return logger
    }
}

struct RecordingLogHandler: LogHandler {
    let record: LogRecord
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        record.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
