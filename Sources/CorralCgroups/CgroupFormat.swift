/// A limit as cgroup files spell it: a number, or "max" for unlimited (v1 shows unlimited as a huge number).
enum CgroupLimitValue: Equatable, Sendable {
    case max
    case value(UInt64)
}

/// Pure parsers and formatters for the cgroup interface files. No I/O: unit tests feed them kernel text.
enum CgroupFormat {
    /// The CFS period Corral always uses, in microseconds (the kernel default).
    static let cpuPeriodMicroseconds: UInt64 = 100_000
    /// The kernel refuses quotas under 1 ms.
    static let minimumCPUQuotaMicroseconds: UInt64 = 1_000

    /// A single unsigned number, surrounded by optional whitespace (`cpuacct.usage`, `memory.peak`).
    static func number(_ text: String) -> UInt64? {
        UInt64(text.trimmingWhitespace())
    }

    /// A number or "max" (`memory.max`, `pids.max`).
    static func limit(_ text: String) -> CgroupLimitValue? {
        let trimmed = text.trimmingWhitespace()
        if trimmed == "max" { return .max }
        return UInt64(trimmed).map(CgroupLimitValue.value)
    }

    /// "key value" lines (`memory.events`, `cpu.stat`, `pids.events`, v1 `memory.oom_control`).
    /// Lines whose value is not an unsigned number are skipped.
    static func keyValues(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2, let value = UInt64(fields[1]) else { continue }
            result[String(fields[0])] = value
        }
        return result
    }

    /// `cpu.max`: "quota period", where quota may be "max".
    static func cpuMax(_ text: String) -> (quota: CgroupLimitValue, period: UInt64)? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let quota = limit(String(fields[0])), let period = UInt64(fields[1]) else { return nil }
        return (quota, period)
    }

    /// Whitespace-separated names (`cgroup.controllers`, `cgroup.subtree_control`).
    static func names(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
    }

    /// One pid per line (`cgroup.procs`); unparsable lines are skipped.
    static func pids(_ text: String) -> [Int32] {
        text.split(separator: "\n").compactMap { Int32($0.trimmingWhitespace()) }
    }

    /// CPUs (0.5) to runtime per `period` in microseconds (50000), at least the kernel minimum.
    /// `nil` when `cpus` is not a finite positive number or the result does not fit.
    static func cpuQuotaMicroseconds(cpus: Double, period: UInt64 = cpuPeriodMicroseconds) -> UInt64? {
        guard cpus.isFinite, cpus > 0 else { return nil }
        let quota = (cpus * Double(period)).rounded()
        guard quota < Double(Int64.max) else { return nil }
        return Swift.max(UInt64(quota), minimumCPUQuotaMicroseconds)
    }

    /// The `cpu.max` line for `cpus` CPUs ("50000 100000"), or `nil` when `cpus` is invalid.
    static func cpuMaxLine(cpus: Double) -> String? {
        cpuQuotaMicroseconds(cpus: cpus).map { "\($0) \(cpuPeriodMicroseconds)" }
    }

    /// The filesystem type mounted at `mountPoint` per `/proc/self/mountinfo` text; the last (topmost)
    /// mount wins. Fields: id parent major:minor root mount-point options [optional...] - type source super.
    /// Mount points escape space, tab, newline and backslash as octal (`\040`).
    static func filesystemType(mountinfo: String, mountPoint: String) -> String? {
        var type: String?
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            if unescapeMountPath(String(fields[4])) == mountPoint { type = String(fields[dash + 1]) }
        }
        return type
    }

    /// Undoes mountinfo's octal escapes ("\040" -> " ").
    static func unescapeMountPath(_ path: String) -> String {
        guard path.contains("\\") else { return path }
        var bytes: [UInt8] = []
        let utf8 = Array(path.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let code = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(code)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A cgroup name Corral may create: one path component, not "." or "..", no NUL, at most 255 bytes.
    /// Names come from configuration and invocation ids; this keeps them from walking out of the parent.
    /// A parent group: one or more valid names joined by "/" ("corral", "corral/t-111122223333").
    static func isValidParent(_ parent: String) -> Bool {
        let components = parent.split(separator: "/", omittingEmptySubsequences: false)
        return !components.isEmpty && components.count <= 4 && components.allSatisfy { isValidName(String($0)) }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.count <= 255
            && !name.contains("/") && !name.contains("\0") && !name.contains("\n")
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
