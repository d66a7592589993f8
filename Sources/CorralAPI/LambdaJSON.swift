import Foundation

/// JSON as the Lambda API spells it. Shapes name their keys explicitly (PascalCase, as botocore's model
/// does: no key strategy, which would also rename map keys such as environment variable names), and
/// timestamps are strings like `2020-04-10T19:06:32.563+0000`.
enum LambdaJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()

    /// Made once: every configuration in every response carries a timestamp (DateFormatter is thread-safe).
    nonisolated(unsafe) private static let timestampFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        return formatter
    }()

    static func timestamp(_ date: Date) -> String {
        timestampFormatter.string(from: date)
    }

    /// Decodes a request body, mapping malformed JSON and wrong types to Lambda's errors.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(LambdaError) -> T {
        do {
            return try decoder.decode(type, from: Data(body.isEmpty ? Array("{}".utf8) : body))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw .invalidContent("Could not parse request body into json: \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalidParameter("\(key.stringValue) is required")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidParameter("\(path(context.codingPath)) has the wrong type: \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .invalidParameter("\(path(context.codingPath)) must not be null")
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidParameter("\(path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw .invalidContent("Could not parse request body into json")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}
