import Foundation
import CorralSandbox
import CorralSystem
import Yams

/// corral serve's settings: built-in defaults (the same as config/corral.yaml), then a YAML file, then
/// command-line options.
struct ServerConfiguration: Codable, Equatable {
    var listen = "127.0.0.1:9000"
    /// TLS on the API listener; nil serves plain HTTP, which only a loopback listener may do by default.
    var tls: TLSFiles?
    /// Serve plain HTTP on a listener beyond loopback anyway (behind a TLS-terminating proxy on a private
    /// network, say): the operator's explicit choice.
    var allowPlaintextBeyondLoopback = false
    /// Seconds an API connection may stay open with no request in progress (nor a TLS handshake finished).
    var connectionIdleSeconds = 60
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
    /// Tasks all sandboxes together may hold (the cgroup parent's pids.max); 0: 1024 per environment of
    /// the capacity, at most half the host's pid_max.
    var capacityPids = 0
    /// The concurrency quota of a tenant with none of its own; 0: three quarters of capacityEnvironments.
    var tenantConcurrency = 0
    var queueTimeoutSeconds = 2.0
    var metrics = "api"
    /// Host directories opened to each tenant's execution roles (account id -> absolute directories):
    /// fs:Read/fs:Write grants may bind only paths under them. None by default.
    var fsRoots: [String: [String]] = [:]
    /// Seconds an execution role's credentials live at most (the environment's end revokes them first).
    var roleCredentialSeconds = 14400
    /// The host uids/gids handed to tenants' sandboxes, a block of 65536 per tenant (HostIDPool).
    var tenantIds = HostIDPool.default

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
            case .tls: configuration.tls = try tlsFiles(value, in: path)
            case .connectionIdleSeconds: configuration.connectionIdleSeconds = try integer()
            case .allowPlaintextBeyondLoopback:
                guard let allowed = value.bool else { throw ConfigurationError(message: "\(path): \(name) must be true or false") }
                configuration.allowPlaintextBeyondLoopback = allowed
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
            case .capacityPids: configuration.capacityPids = try integer()
            case .tenantConcurrency: configuration.tenantConcurrency = try integer()
            case .queueTimeoutSeconds:
                guard let seconds = value.float else { throw ConfigurationError(message: "\(path): \(name) must be a number") }
                configuration.queueTimeoutSeconds = seconds
            case .metrics: configuration.metrics = text
            case .roleCredentialSeconds: configuration.roleCredentialSeconds = try integer()
            case .fsRoots: configuration.fsRoots = try fsRoots(value, in: path)
            case .tenantIds: configuration.tenantIds = try tenantIds(value, in: path)
            case nil: break
            }
        }
        return configuration
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, tls, allowPlaintextBeyondLoopback, connectionIdleSeconds, data, account, region, prefill, logBytesPerFunction, cgroupParent, idleTimeoutSeconds, maxLifetimeSeconds
        case capacityMemoryMB, capacityEnvironments, capacityPids, tenantConcurrency, queueTimeoutSeconds, metrics, fsRoots, roleCredentialSeconds, tenantIds
    }

    /// `fsRoots: {"111122223333": [/srv/tenant-a, ...]}`: each root an absolute, normalized path, kept as
    /// written. It is never resolved through symlinks: the supervisor pins each one at start-up
    /// (`pinnedFSRoots`), refusing a root reached through a symlink or through a directory anyone but root
    /// could change.
    static func fsRoots(_ node: Yams.Node, in path: String) throws -> [String: [String]] {
        guard let mapping = node.mapping else {
            throw ConfigurationError(message: "\(path): fsRoots must map account ids to lists of directories")
        }
        var roots: [String: [String]] = [:]
        for (key, value) in mapping {
            guard let account = key.string, account.count == 12, account.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ConfigurationError(message: "\(path): fsRoots keys must be 12-digit account ids, not '\(key.string ?? "?")'")
            }
            let entries = value.sequence.map { $0.compactMap(\.string) } ?? value.string.map { [$0] } ?? []
            roots[account] = try entries.map { entry in
                let parts = entry.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
                guard entry.hasPrefix("/"), entry != "/", parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
                    throw ConfigurationError(message: "\(path): fsRoots for \(account): '\(entry)' must be an absolute path without '.', '..', '//' or a trailing '/' (and not / itself)")
                }
                return entry
            }
        }
        return roots
    }

    /// The API listener's certificate chain and private key, PEM files (ListenerTLS reads and checks them).
    struct TLSFiles: Codable, Equatable {
        var certificate: String
        var key: String
    }

    /// `tls: {certificate: PATH, key: PATH}`, both absolute paths.
    static func tlsFiles(_ node: Yams.Node, in path: String) throws -> TLSFiles {
        let usage = "\(path): tls must be {certificate: /path/to/chain.pem, key: /path/to/key.pem} (absolute paths)"
        guard let mapping = node.mapping else { throw ConfigurationError(message: usage) }
        var certificate: String?, key: String?
        for (name, value) in mapping {
            switch name.string {
            case "certificate": certificate = value.string
            case "key": key = value.string
            default: throw ConfigurationError(message: "\(path): tls: unknown key '\(name.string ?? "?")' (known: certificate, key)")
            }
        }
        guard let certificate, let key, certificate.hasPrefix("/"), key.hasPrefix("/") else { throw ConfigurationError(message: usage) }
        return TLSFiles(certificate: certificate, key: key)
    }

    /// `tenantIds: {first: 1879048192, blocks: 4094}`: where the pool starts and how many blocks of 65536
    /// ids it holds (block 0 is the operator's, one block per tenant after it).
    static func tenantIds(_ node: Yams.Node, in path: String) throws -> HostIDPool {
        let usage = "\(path): tenantIds must be {first: ID, blocks: N} (first 65536 or above, at least 2 blocks, ending below 2^31)"
        guard let mapping = node.mapping else { throw ConfigurationError(message: usage) }
        var pool = HostIDPool.default
        for (key, value) in mapping {
            switch key.string {
            case "first":
                guard let first = value.int.flatMap(UInt32.init(exactly:)) else { throw ConfigurationError(message: usage) }
                pool.first = first
            case "blocks":
                guard let blocks = value.int else { throw ConfigurationError(message: usage) }
                pool.blocks = blocks
            default:
                throw ConfigurationError(message: "\(path): tenantIds: unknown key '\(key.string ?? "?")' (known: blocks, first)")
            }
        }
        guard pool.ids != nil else { throw ConfigurationError(message: usage) }
        return pool
    }

    /// The id pool, checked against the host's accounts: no user or group of /etc/passwd and /etc/group
    /// and no subordinate range of /etc/subuid and /etc/subgid may fall inside it (`etc` is for tests).
    func checkedIDPool(etc: String = "/etc") throws -> HostIDPool {
        func read(_ name: String) -> String { (try? String(contentsOfFile: etc + "/" + name, encoding: .utf8)) ?? "" }
        let conflicts = tenantIds.conflicts(passwd: read("passwd"), group: read("group"), subuid: read("subuid"), subgid: read("subgid"))
        guard conflicts.isEmpty else {
            throw ConfigurationError(message: "tenantIds \(tenantIds) overlaps the host's own ids: \(conflicts.prefix(5).joined(separator: "; "))"
                + "\(conflicts.count > 5 ? " (and \(conflicts.count - 5) more)" : ""); choose a range no host account uses")
        }
        return tenantIds
    }

    /// The fsRoots opened and pinned (see `PinnedDirectory`): a root that is missing, is reached through a
    /// symlink, or lies under a directory someone other than root can write is refused, naming which.
    func pinnedFSRoots() throws -> [String: [PinnedDirectory]] {
        var pinned: [String: [PinnedDirectory]] = [:]
        for (account, roots) in fsRoots {
            pinned[account] = try roots.map { root in
                do {
                    return try PinnedDirectory.pin(root)
                } catch {
                    throw ConfigurationError(message: "fsRoots for \(account): \(error)")
                }
            }
        }
        return pinned
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
