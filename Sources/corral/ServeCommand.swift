import ArgumentParser
import CorralAPI
import CorralCode
import CorralRuntime
import CorralSandbox
import CorralStore
import Foundation
import Hummingbird
import Logging

/// `corral serve`: the supervisor. The Lambda API on --listen, state under --data, functions run in
/// sandboxes with the Runtime API inside each.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Lambda-compatible API and run functions in sandboxes.",
        discussion: """
        State (SQLite, code packages, logs) lives under --data: /var/lib/corral when run as root, else
        $XDG_DATA_HOME/corral (~/.local/share/corral). Point boto3 or the aws CLI at the --listen address:

          aws --endpoint-url http://127.0.0.1:9000 lambda list-functions

        Until tenants and SigV4 land, every request acts as the --account tenant and signatures are not
        checked: listen on loopback only. SIGTERM or SIGINT stops accepting requests, lets in-flight
        invocations finish, then stops every sandbox.
        """)

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen = "127.0.0.1:9000"

    @Option(help: "Directory for the database, code packages and logs.")
    var data: String?

    @Option(help: "The 12-digit account id requests act as (until tenants exist).")
    var account = "000000000000"

    @Option(help: "Region used in ARNs when a request does not sign with one.")
    var region = "us-east-1"

    @Option(help: "Network namespaces and cgroups kept ready ahead of cold starts.")
    var prefill = 4

    func validate() throws {
        guard ServeCommand.parseListen(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:9000") }
        guard account.count == 12, account.allSatisfy(\.isNumber) else { throw ValidationError("--account must be 12 digits") }
        guard prefill >= 0, prefill <= 64 else { throw ValidationError("--prefill must be 0 to 64") }
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
        var logger = Logger(label: "corral")
        logger.logLevel = .info
        let dataDirectory = data ?? Self.defaultDataDirectory
        guard let (host, port) = Self.parseListen(listen) else { throw ExitCode(2) }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            printError("corral serve: cannot create the data directory \(dataDirectory): \(error)")
            throw ExitCode(1)
        }
        var sandboxConfiguration = SandboxLauncher.Configuration()
        sandboxConfiguration.prefilledPool = prefill
        let launcher: SandboxLauncher
        do {
            launcher = try SandboxLauncher(configuration: sandboxConfiguration)
        } catch {
            printError("corral serve: sandboxes cannot run here: \(error)")
            throw ExitCode(1)
        }
        defer { launcher.shutdown() }
        let store = try FunctionStore(path: dataDirectory + "/corral.sqlite")
        let code = CodeStore(root: dataDirectory + "/code")
        let catalog = RuntimeCatalog.detect()
        let bootstraps = try Bootstraps.install(under: dataDirectory + "/runtime")
        let logs = FunctionLogs(root: dataDirectory + "/logs")
        let invoker = Invoker(configuration: .init(bootstrapDirectory: bootstraps, codeDirectory: code.root), launcher: launcher,
                              catalog: catalog, logs: logs, logger: logger)
        defer { invoker.shutdown() }
        let service = LambdaService(functions: store, code: code, publicURL: "http://\(listen)", invoker: invoker,
                                    availableRuntimes: { catalog.identifiers })
        let router = Router()
        let account = self.account, region = self.region
        LambdaRoutes(service: service, logs: logs) { request in
            Caller(account: account, region: Caller.signingRegion(authorization: request.headers[.authorization]) ?? region)
        }.register(on: router, logger: logger)
        logger.info("corral serve: data in \(dataDirectory); runtimes: \(catalog.identifiers.joined(separator: ", "))")
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "corral"), logger: logger)
        try await app.runService()
        logger.info("corral serve: stopped; stopping sandboxes")
    }
}
