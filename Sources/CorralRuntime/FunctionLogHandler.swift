import Logging

/// Sends what a sandbox's own listeners report (the egress proxy's refusals, say) to the function's log as
/// well as the server's: the function's owner reads the first, the operator the second.
struct FunctionLogHandler: LogHandler {
    let server: Logger
    let function: @Sendable (String) -> Void
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        server.log(level: event.level, event.message, metadata: all, source: event.source, file: event.file, function: event.function, line: event.line)
        // Notices and above are for the function's owner (refusals); details stay in the server's log.
        guard event.level >= .notice else { return }
        let details = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        function("corral: \(event.message)\(details.isEmpty ? "" : " (\(details))")\n")
    }
}
