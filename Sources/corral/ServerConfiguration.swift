import Foundation
import Yams

/// corral serve's settings: built-in defaults (the same as config/corral.yaml), then a YAML file, then
/// command-line options.
struct ServerConfiguration: Codable, Equatable {
    var listen = "127.0.0.1:9000"
    var data = ""
    var account = "000000000000"
    var region = "us-east-1"
    var prefill = 4
    var logBytesPerFunction = 8 << 20
    var cgroupParent = "corral"
    var idleTimeoutSeconds = 600
    var maxLifetimeSeconds = 14400
    var capacityMemoryMB = 0
    var capacityEnvironments = 0
    var queueTimeoutSeconds = 2.0
    var metrics = "api"

    /// Reads `path`; keys it does not set keep their defaults, unknown keys are refused (a typo must not
    /// pass silently).
    static func load(_ path: String) throws -> ServerConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(message: "cannot read \(path)")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(message: "\(path) is not valid YAML: \(error)")
        }
        guard let mapping = node?.mapping else {
            if node == nil { return ServerConfiguration() }
            throw ConfigurationError(message: "\(path) must be a mapping of settings")
        }
        var configuration = ServerConfiguration()
        for (key, value) in mapping {
            guard let name = key.string, known.contains(name) else {
                throw ConfigurationError(message: "\(path): unknown setting '\(key.string ?? "?")' (known: \(known.sorted().joined(separator: ", ")))")
            }
            func integer() throws -> Int {
                guard let number = value.int else { throw ConfigurationError(message: "\(path): \(name) must be a number") }
                return number
            }
            let text = value.string ?? ""
            switch CodingKeys(rawValue: name) {
            case .listen: configuration.listen = text
            case .data: configuration.data = text
            case .account: configuration.account = text
            case .region: configuration.region = text
            case .prefill: configuration.prefill = try integer()
            case .logBytesPerFunction: configuration.logBytesPerFunction = try integer()
            case .cgroupParent: configuration.cgroupParent = text
            case .idleTimeoutSeconds: configuration.idleTimeoutSeconds = try integer()
            case .maxLifetimeSeconds: configuration.maxLifetimeSeconds = try integer()
            case .capacityMemoryMB: configuration.capacityMemoryMB = try integer()
            case .capacityEnvironments: configuration.capacityEnvironments = try integer()
            case .queueTimeoutSeconds:
                guard let seconds = value.float else { throw ConfigurationError(message: "\(path): \(name) must be a number") }
                configuration.queueTimeoutSeconds = seconds
            case .metrics: configuration.metrics = text
            case nil: break
            }
        }
        return configuration
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, data, account, region, prefill, logBytesPerFunction, cgroupParent, idleTimeoutSeconds, maxLifetimeSeconds
        case capacityMemoryMB, capacityEnvironments, queueTimeoutSeconds, metrics
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
