import Foundation

/// Dates as IAM's Date operators read them: the W3C profile of ISO 8601, or epoch seconds.
///
/// Accepted: `2024-05-01`, `2024-05`, `2024-05-01T12:00Z`, `2024-05-01T12:00:00Z`,
/// `2024-05-01T12:00:00.250+02:00` (zone `Z`, `±hh:mm`, `±hhmm` or `±hh`; no zone means UTC), and epoch
/// seconds (`1714564800`, `1714564800.5`). A bare four-digit number is read as epoch seconds, not a year.
enum PolicyDate {
    /// Seconds since 1970-01-01T00:00:00Z, or nil when `text` is neither form.
    static func seconds(_ text: String) -> Double? {
        if let epoch = epochSeconds(text) { return epoch }
        return iso8601Seconds(Array(text.utf8))
    }

    /// `date` in ISO 8601 UTC with whole seconds: `2024-05-01T12:00:00Z`.
    static func iso8601(_ date: Date) -> String {
        let total = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = total - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(year)
        let paddedYear = String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText
        return "\(paddedYear)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }

    private static func epochSeconds(_ text: String) -> Double? {
        var digitsSeen = false
        var dotSeen = false
        for (offset, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digitsSeen = true
            case UInt8(ascii: "."): if dotSeen { return nil } else { dotSeen = true }
            case UInt8(ascii: "-") where offset == 0: continue
            default: return nil
            }
        }
        return digitsSeen ? Double(text) : nil
    }

    private static func iso8601Seconds(_ bytes: [UInt8]) -> Double? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(digits: 4) else { return nil }
        guard reader.take("-"), let month = reader.number(digits: 2), (1...12).contains(month) else { return nil }
        var day: Int64 = 1
        if reader.take("-") {
            guard let value = reader.number(digits: 2), (1...daysIn(month: month, year: year)).contains(value) else { return nil }
            day = value
        }
        var seconds = Double(days(year: year, month: month, day: day) * 86_400)
        if reader.atEnd { return seconds }
        guard reader.take("T") || reader.take("t"),
              let hour = reader.number(digits: 2), hour < 24,
              reader.take(":"), let minute = reader.number(digits: 2), minute < 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        if reader.take(":") {
            guard let second = reader.number(digits: 2), second < 60 else { return nil }
            seconds += Double(second)
            if reader.take(".") {
                guard let fraction = reader.fraction() else { return nil }
                seconds += fraction
            }
        }
        if reader.atEnd || reader.take("Z") || reader.take("z") {
            return reader.atEnd ? seconds : nil
        }
        let sign: Int64
        if reader.take("+") { sign = 1 } else if reader.take("-") { sign = -1 } else { return nil }
        guard let zoneHours = reader.number(digits: 2), zoneHours < 24 else { return nil }
        var zoneMinutes: Int64 = 0
        if !reader.atEnd {
            _ = reader.take(":")
            guard let value = reader.number(digits: 2), value < 60 else { return nil }
            zoneMinutes = value
        }
        guard reader.atEnd else { return nil }
        return seconds - Double(sign * (zoneHours * 3600 + zoneMinutes * 60))
    }

    private static func isLeap(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Reads fixed-width decimal fields and separators from ASCII bytes.
private struct DigitReader {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index == bytes.count }

    /// Consumes `character` if it is next.
    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// Exactly `digits` decimal digits.
    mutating func number(digits: Int) -> Int64? {
        guard index + digits <= bytes.count else { return nil }
        var value: Int64 = 0
        for byte in bytes[index..<index + digits] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        index += digits
        return value
    }

    /// One or more digits after a decimal point, as a fraction of a second.
    mutating func fraction() -> Double? {
        var value = 0.0
        var scale = 0.1
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            value += Double(bytes[index] - UInt8(ascii: "0")) * scale
            scale /= 10
            index += 1
        }
        return index > start ? value : nil
    }
}
