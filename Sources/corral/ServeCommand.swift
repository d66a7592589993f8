import ArgumentParser
import CorralAPI
import CorralCode
import CorralRuntime
import CorralSandbox
import CorralStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle

/// `corral serve`: the supervisor. The Lambda API on --listen, state under --data, functions run in
/// sandboxes with the Runtime API inside each.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Lambda-compatible API and run functions in sandboxes.",
        discussion: """
        State (SQLite, code packages, logs) lives under --data: /var/lib/corral when run as root, else $XDG_DATA_HOME/corral (~/.local/share/corral). Settings come from the built-in defaults, then --config FILE (config/corral.yaml documents each), then the options below.

        Every API request must be signed (AWS Signature Version 4) with a tenant's access key. On the first start (an empty database) the server creates the admin tenant, with the --account id, and its access key, and writes them to DATA/credentials (mode 0600, AWS shared-credentials format). corral's own commands find that file by themselves; point boto3 or the aws CLI at it and at the --listen address:

          AWS_SHARED_CREDENTIALS_FILE=/var/lib/corral/credentials aws --endpoint-url http://127.0.0.1:9000 lambda list-functions

        `corral admin` commands reach the running server through DATA/admin.sock (a Unix socket, mode 0600, root's; the server refuses any peer but root) and take effect at once: a revoked key is refused from the next request. Without a running server they work on the database directly.

        Beyond loopback the API is served over TLS: give a certificate (tls in the configuration, or --tls-certificate and --tls-key) and clients use https (AWS_CA_BUNDLE=PEM-FILE when they must trust a self-signed one). A listener beyond loopback without one is refused unless --allow-plaintext-beyond-loopback says so.

        GET /corral/ping needs no signature; /metrics (metrics: api, the default) must be signed by the operator's account, or has a loopback listener of its own (metrics: 127.0.0.1:PORT). SIGTERM or SIGINT stops accepting requests, lets in-flight invocations finish, then stops every sandbox.
        """)

    @Option(help: "A YAML configuration file (config/corral.yaml documents every setting and its default).")
    var config: String?

    @Option(help: "Address to listen on, HOST:PORT (default 127.0.0.1:9000).")
    var listen: String?

    @Option(help: ArgumentHelp("The API's TLS certificate chain, a PEM file (leaf first). With --tls-key the API is served over HTTPS only.", valueName: "pem-file"))
    var tlsCertificate: String?

    @Option(help: ArgumentHelp("The private key of --tls-certificate, a PEM file only its owner can read (0600; 0640 when owned by root).", valueName: "pem-file"))
    var tlsKey: String?

    @Flag(help: "Serve plain HTTP on a --listen address beyond loopback (behind a TLS-terminating proxy, say). Without it, such a listener needs TLS: over plain HTTP, a signed request read off the network can be replayed for 15 minutes.")
    var allowPlaintextBeyondLoopback = false

    @Option(help: "Directory for the database, code packages and logs.")
    var data: String?

    @Option(help: "The 12-digit account id of the admin tenant made on the first start (default 000000000000).")
    var account: String?

    @Option(help: "The server's region (default us-east-1): every ARN names it, and requests must be signed for it (clients set AWS_REGION or AWS_DEFAULT_REGION to it).")
    var region: String?

    @Option(help: "Network namespaces and cgroups kept ready ahead of cold starts (default 4).")
    var prefill: Int?

    @Flag(help: "Check the settings (built-in defaults, --config, these options) and exit without starting.")
    var check = false

    @Flag(help: "Start although `corral doctor`'s kernel check fails (a known sandbox escape unfixed, or too old). Only for a distribution kernel whose advisories show the named CVEs fixed by backport: the check sees only the version.")
    var allowUnpatchedKernel = false

    /// Defaults, then --config, then the options given.
    func settings() throws -> ServerConfiguration {
        var settings = try config.map(ServerConfiguration.load) ?? ServerConfiguration()
        if let listen { settings.listen = listen }
        if let data { settings.data = data }
        if let account { settings.account = account }
        if let region { settings.region = region }
        if let prefill { settings.prefill = prefill }
        if allowPlaintextBeyondLoopback { settings.allowPlaintextBeyondLoopback = true }
        switch (tlsCertificate, tlsKey) {
        case (nil, nil): break
        case let (certificate?, key?): settings.tls = .init(certificate: Self.absolute(certificate), key: Self.absolute(key))
        default: throw ValidationError("--tls-certificate and --tls-key go together: the certificate chain and its private key")
        }
        guard let (listenHost, _) = Self.parseListen(settings.listen) else { throw ValidationError("listen must be HOST:PORT, e.g. 127.0.0.1:9000, not '\(settings.listen)'") }
        if let files = settings.tls {
            _ = try ListenerTLS(certificateFile: files.certificate, keyFile: files.key)
        } else if !Self.isLoopback(listenHost), !settings.allowPlaintextBeyondLoopback {
            throw ValidationError("listen: \(settings.listen) is beyond loopback, and the API would be plain HTTP: a signed request read off the network can be replayed "
                + "for 15 minutes, and a function's session token used by anyone. Give a certificate (tls: {certificate: PEM, key: PEM}, or --tls-certificate and --tls-key), "
                + "or, behind a TLS-terminating proxy, say so with allowPlaintextBeyondLoopback: true (--allow-plaintext-beyond-loopback)")
        }
        guard settings.account.count == 12, settings.account.allSatisfy(\.isNumber) else { throw ValidationError("account must be 12 digits") }
        guard (0...64).contains(settings.prefill) else { throw ValidationError("prefill must be 0 to 64") }
        guard settings.capacityPids == 0 || settings.capacityPids >= 1024 else { throw ValidationError("capacityPids must be 0 (1024 per environment, at most half of pid_max) or at least 1024") }
        guard settings.tenantConcurrency >= 0 else { throw ValidationError("tenantConcurrency must be 0 (three quarters of capacityEnvironments) or more") }
        guard settings.capacityMemoryMB >= 0, settings.capacityEnvironments >= 0 else {
            throw ValidationError("capacityMemoryMB and capacityEnvironments must be 0 (the machine's defaults) or more")
        }
        guard settings.capacityMemoryMB == 0 || settings.capacityMemoryMB >= 128 else { throw ValidationError("capacityMemoryMB must be at least 128") }
        guard (0...900).contains(settings.queueTimeoutSeconds) else { throw ValidationError("queueTimeoutSeconds must be 0 to 900") }
        guard ["api", "off"].contains(settings.metrics) || Self.parseListen(settings.metrics) != nil else {
            throw ValidationError("metrics must be api, off, or HOST:PORT for a listener of its own, not '\(settings.metrics)'")
        }
        if let (host, _) = Self.parseListen(settings.metrics), !Self.isLoopback(host) {
            throw ValidationError("metrics: \(settings.metrics) would serve every tenant's account ids and function names unauthenticated beyond this host; "
                + "listen on loopback (127.0.0.1:PORT), or use metrics: api (signed by the operator's key)")
        }
        guard (1...3600).contains(settings.connectionIdleSeconds) else { throw ValidationError("connectionIdleSeconds must be 1 to 3600") }
        guard settings.idleTimeoutSeconds >= 1 else { throw ValidationError("idleTimeoutSeconds must be at least 1") }
        guard settings.maxLifetimeSeconds >= 60 else { throw ValidationError("maxLifetimeSeconds must be at least 60") }
        guard settings.logBytesPerFunction >= 4096 else { throw ValidationError("logBytesPerFunction must be at least 4096") }
        guard !settings.cgroupParent.isEmpty, !settings.cgroupParent.contains("/"), settings.cgroupParent != "." , settings.cgroupParent != ".." else {
            throw ValidationError("cgroupParent must be one path component")
        }
        return settings
    }

    func validate() throws {
        do {
            _ = try settings()
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
    }

    /// 127.0.0.0/8, ::1 or localhost.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".")
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// A path given on the command line, relative to the working directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    static var defaultDataDirectory: String {
        if geteuid() == 0 { return "/var/lib/corral" }
        let base = ProcessInfo.processInfo.environment["XDG_DATA_HOME"] ?? (NSHomeDirectory() + "/.local/share")
        return base + "/corral"
    }

    func run() async throws {
        var logger = Logger(label: "corral", factory: ServerLogHandler.init)
        logger.logLevel = .info
        let settings = try self.settings()
        if check {
            print("corral serve: the settings are valid")
            return
        }
        try KernelGate.enforce(allowUnpatched: allowUnpatchedKernel, command: "corral serve") { logger.warning("\($0)") }
        let dataDirectory = settings.data.isEmpty ? Self.defaultDataDirectory : settings.data
        guard let (host, port) = Self.parseListen(settings.listen) else { throw ExitCode(2) }
        let tls = try settings.tls.map { try ListenerTLS(certificateFile: $0.certificate, keyFile: $0.key) }
        // The admin socket first: a server accepting on it already uses this data directory.
        let adminSocket: AdminServer
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            adminSocket = try AdminServer(path: AdminSocket.path(in: dataDirectory))
        } catch {
            printError("corral serve: cannot take admin commands on \(AdminSocket.path(in: dataDirectory)): \(error)")
            throw ExitCode(1)
        }
        let supervisor: Supervisor
        do {
            supervisor = try Supervisor(settings: settings, dataDirectory: dataDirectory, publicURL: "\(tls == nil ? "http" : "https")://\(settings.listen)",
                                        apiTLS: try tls?.pinned(), logger: logger)
        } catch let error as SandboxError {
            printError("corral serve: sandboxes cannot run here: \(error)")
            await adminSocket.stop()
            throw ExitCode(1)
        } catch {
            printError("corral serve: cannot start with data in \(dataDirectory): \(error)")
            await adminSocket.stop()
            throw ExitCode(1)
        }
        do {
            try await supervisor.restore()
        } catch {
            printError("corral serve: cannot restore concurrency settings: \(error)")
            await adminSocket.stop()
            await supervisor.shutdown()
            throw ExitCode(1)
        }
        adminSocket.start(administration: supervisor.administration, logger: logger)
        let catalog = supervisor.catalog
        logger.info("corral serve: data in \(dataDirectory); runtimes: \(catalog.identifiers.joined(separator: ", ")); admin commands on \(adminSocket.path) (root only)")
        if let admin = supervisor.createdAdmin {
            // The key id only: the secret is in the file (0600) and nowhere else, never in a log.
            logger.notice("corral serve: created the admin tenant (account \(admin.account)) and its access key \(admin.id); credentials in \(supervisor.credentialsFile) (mode 0600)")
        }
        // Idle connections are closed (an invocation being answered is not idle): a listener beyond loopback
        // must not be filled with connections that never send a request or never finish a TLS handshake.
        let http = HTTP1Channel.Configuration(idleTimeout: .seconds(Int64(settings.connectionIdleSeconds)))
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(configuration: http), tlsConfiguration: $0.serverConfiguration) } ?? .http1(configuration: http)
        if let tls { logger.info("corral serve: the API is served over TLS (HTTPS only) with \(tls.certificateFile)") }
        let app = Application(router: supervisor.router, server: server, configuration: .init(address: .hostname(host, port: port), serverName: "corral"), logger: logger)
        var services: [any Service] = [app]
        if let (metricsHost, metricsPort) = Self.parseListen(settings.metrics) {
            logger.info("corral serve: metrics on http://\(settings.metrics)/metrics")
            services.append(Application(router: supervisor.metricsRouter, configuration: .init(address: .hostname(metricsHost, port: metricsPort), serverName: "corral"),
                                        logger: logger))
        }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await adminSocket.stop()
            await supervisor.shutdown()
            throw error
        }
        logger.info("corral serve: stopped; stopping sandboxes")
        await adminSocket.stop()
        await supervisor.shutdown()
    }
}
