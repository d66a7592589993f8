import CorralPolicy
import CorralSystem
import Foundation

/// Every authorization decision, one JSON object a line, in DATA/audit.log (mode 0600): when, who
/// (principal and access key), what (action, resource), the decision, and the statements that decided it.
/// Past `limit` bytes the file becomes audit.log.1 (replacing the previous one) and a new one starts.
public final class AuditLog: @unchecked Sendable {
    public struct Entry: Sendable {
        public var time: Date
        public var principal: String
        public var accessKeyID: String?
        public var action: String
        public var resource: String
        public var decision: Decision

        public init(time: Date, principal: String, accessKeyID: String?, action: String, resource: String, decision: Decision) {
            self.time = time
            self.principal = principal
            self.accessKeyID = accessKeyID
            self.action = action
            self.resource = resource
            self.decision = decision
        }

        /// The line written for it (no newline). Built by hand: this runs for every API request, and
        /// JSONSerialization and ISO8601DateFormatter cost more than the rest of the authorization.
        public var json: String {
            let effect = switch decision.effect {
            case .allow: "Allow"
            case .explicitDeny: "ExplicitDeny"
            case .implicitDeny: "ImplicitDeny"
            }
            var statements = decision.statements.map(\.description)
            if decision.effect == .allow && statements.isEmpty { statements = ["account root: all of its own account"] }
            return "{\"accessKeyId\":" + (accessKeyID.map(Self.quoted) ?? "null") + ",\"action\":" + Self.quoted(action)
                + ",\"decision\":\"" + effect + "\",\"principal\":" + Self.quoted(principal) + ",\"resource\":" + Self.quoted(resource)
                + ",\"statements\":[" + statements.map(Self.quoted).joined(separator: ",") + "],\"time\":\"" + Self.timestamp(time) + "\"}"
        }

        static func quoted(_ text: String) -> String { JSONText.quoted(text) }

        /// `2026-11-30T05:01:02.345Z`.
        static func timestamp(_ date: Date) -> String {
            let interval = date.timeIntervalSince1970
            var seconds = time_t(interval.rounded(.down))
            var fields = tm()
            gmtime_r(&seconds, &fields)
            let millis = Int((interval - Double(seconds)) * 1000)
            func pad(_ value: Int32, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
            return "\(fields.tm_year + 1900)-\(pad(fields.tm_mon + 1, 2))-\(pad(fields.tm_mday, 2))T\(pad(fields.tm_hour, 2)):\(pad(fields.tm_min, 2)):\(pad(fields.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
        }
    }

    public let path: String
    let limit: Int
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var size = 0

    public init(path: String, limit: Int = 64 << 20) {
        self.path = path
        self.limit = limit
    }

    deinit { FileDescriptor.close(fd) }

    public func record(_ entry: Entry) {
        let line = Array((entry.json + "\n").utf8)
        lock.withLock {
            if fd < 0 || size + line.count > limit {
                if fd >= 0 {
                    FileDescriptor.close(fd)
                    rename(path, path + ".1")
                }
                guard let opened = try? FileDescriptor.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode: 0o600) else { fd = -1; return }
                fd = opened
                var status = stat()
                size = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
            }
            line.withUnsafeBytes { try? FileDescriptor.writeAll(fd, $0) }
            size += line.count
        }
    }
}
