import CorralAPI
import CorralCode
import CorralRuntime
import CorralSandbox
import CorralStore
import Foundation
import Hummingbird
import Logging

/// Everything `corral serve` runs, wired from its settings: the launcher, the stores, the invoker and its
/// reaper, and the router with the Lambda API. `corral bench invoke` builds the same on a scratch directory.
final class Supervisor {
    let launcher: SandboxLauncher
    let invoker: Invoker
    let router: Router<BasicRequestContext>
    let catalog: RuntimeCatalog
    private let reaper: Task<Void, Never>

    init(settings: ServerConfiguration, dataDirectory: String, publicURL: String, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var sandboxConfiguration = SandboxLauncher.Configuration()
        sandboxConfiguration.prefilledPool = settings.prefill
        sandboxConfiguration.cgroupParent = settings.cgroupParent
        launcher = try SandboxLauncher(configuration: sandboxConfiguration)
        let store = try FunctionStore(path: dataDirectory + "/corral.sqlite")
        let code = CodeStore(root: dataDirectory + "/code")
        catalog = RuntimeCatalog.detect()
        let bootstraps = try Bootstraps.install(under: dataDirectory + "/runtime")
        let logs = FunctionLogs(root: dataDirectory + "/logs", limit: settings.logBytesPerFunction)
        var invokerConfiguration = Invoker.Configuration(bootstrapDirectory: bootstraps, codeDirectory: code.root)
        invokerConfiguration.idlePerVersion = settings.idlePerVersion
        invokerConfiguration.idleTimeout = Double(settings.idleTimeoutSeconds)
        invokerConfiguration.maxLifetime = Double(settings.maxLifetimeSeconds)
        invoker = Invoker(configuration: invokerConfiguration, launcher: launcher, catalog: catalog, logs: logs, logger: logger)
        reaper = invoker.startReaper(interval: min(10, max(0.5, Double(settings.idleTimeoutSeconds) / 4)))
        let catalog = self.catalog
        let service = LambdaService(functions: store, code: code, publicURL: publicURL, invoker: invoker,
                                    availableRuntimes: { catalog.identifiers })
        router = Router()
        let account = settings.account, region = settings.region
        LambdaRoutes(service: service, logs: logs) { request in
            Caller(account: account, region: Caller.signingRegion(authorization: request.headers[.authorization]) ?? region)
        }.register(on: router, logger: logger)
    }

    /// Stops every sandbox and what was made ahead for them.
    func shutdown() {
        reaper.cancel()
        invoker.shutdown()
        launcher.shutdown()
    }
}
