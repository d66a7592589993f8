import CorralFunctions
import CorralPool
import CorralSandbox
import CorralStore
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Runs invocations: finds an idle execution environment for the version (or starts one: a cold start),
/// hands it the event, enforces the timeout, and writes the invocation's START/END/REPORT lines. Idle
/// environments are kept per version and reused, Lambda's model; the warm-pool manager replaces this cache.
public final class Invoker: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Directory of Corral's runtime bootstraps (Bootstraps.install), mounted at /var/runtime.
        public var bootstrapDirectory: String
        /// Where code packages are unpacked (CodeStore.root): ROOT/<digest> is mounted at /var/task.
        public var codeDirectory: String
        /// Idle environments kept per version.
        public var idlePerVersion = 4
        /// Seconds an idle environment is kept before it is stopped (scale to zero).
        public var idleTimeout: Double = 600
        /// Seconds an environment lives at most (it finishes a running invocation first).
        public var maxLifetime: Double = 4 * 3600
        /// Host uid/gid that root in every sandbox maps to (per tenant, later).
        public var identity = SandboxIdentity()

        public init(bootstrapDirectory: String, codeDirectory: String) {
            self.bootstrapDirectory = bootstrapDirectory
            self.codeDirectory = codeDirectory
        }
    }

    let configuration: Configuration
    let launcher: SandboxLauncher
    let catalog: RuntimeCatalog
    let logs: FunctionLogs
    let logger: Logger
    let group: any EventLoopGroup
    private let lock = NSLock()
    private var idle: [EnvironmentKey: [ExecutionEnvironment]] = [:]
    private var busy = 0
    private var stopping = false

    /// Seconds a runtime may take from start to its first invocation/next (Lambda's init limit).
    static let initLimitSeconds = 10.0

    public init(configuration: Configuration, launcher: SandboxLauncher, catalog: RuntimeCatalog, logs: FunctionLogs,
                logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.launcher = launcher
        self.catalog = catalog
        self.logs = logs
        self.logger = logger
        self.group = group
    }

    /// Invokes `version` with `payload`; `arn` is the ARN the caller used (with its qualifier).
    public func invoke(_ version: FunctionVersion, arn: String, payload: [UInt8], clientContext: String?, region: String) async -> InvokeResult {
        let requestID = UUID().uuidString.lowercased()
        let key = EnvironmentKey(account: version.account, function: version.name, version: version.version, revisionID: version.revisionID)
        let log: @Sendable (String) -> Void = { [logs] text in logs.append(account: version.account, function: version.name, text) }
        lock.withLock { busy += 1 }
        defer { lock.withLock { busy -= 1 } }

        let requested = Date()
        var environment = takeIdle(key)
        let coldStart = environment == nil
        if environment == nil {
            do {
                environment = try await start(version, key: key, region: region, log: log)
            } catch {
                logger.error("cannot start an environment for \(version.name):\(version.version): \(error)")
                let text = "START RequestId: \(requestID) Version: \(version.version)\n\(error)\nEND RequestId: \(requestID)\n"
                log(text)
                return InvokeResult(requestID: requestID, payload: Self.errorJSON("Runtime.InvalidEntrypoint", "RequestId: \(requestID) Error: \(error)"),
                                    functionError: true, log: text, executedVersion: version.version)
            }
        }
        guard let environment else { preconditionFailure("an environment was just started") }
        let header = "START RequestId: \(requestID) Version: \(version.version)\n"
        log(header)
        environment.beginCapture()
        var outcome: InvocationOutcome? = nil
        if coldStart {
            // Lambda's init phase gets 10 s; a runtime that never asks for work must not hold the caller.
            let initLimit = Self.initLimitSeconds
            let initTimer = Task { [weak environment] in
                try await Task.sleep(nanoseconds: UInt64(initLimit * 1_000_000_000))
                environment?.destroy(because: .initTimedOut(initLimit))
            }
            outcome = await environment.session.waitUntilReady()
            initTimer.cancel()
            _ = environment.handle(outcome == nil ? .initialized : .failed)
        }
        if outcome == nil { _ = environment.handle(.assigned) }
        // Init Duration: from the request to the runtime's first invocation/next (cold starts only).
        environment.initDurationMs = coldStart ? Date().timeIntervalSince(requested) * 1000 : 0
        let start = Date()
        let timeout = Double(version.settings.timeout)
        if outcome == nil {
            let deadline = Int64((Date().timeIntervalSince1970 + timeout) * 1000)
            let invocation = Invocation(requestID: requestID, payload: payload, deadlineMs: deadline, invokedFunctionArn: arn,
                                        traceID: Self.traceID(), clientContext: clientContext)
            let timer = Task { [weak environment] in
                try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                environment?.destroy(because: .timedOut)
            }
            outcome = await environment.session.invoke(invocation)
            timer.cancel()
        }
        let finalOutcome = outcome ?? .timedOut
        let duration = Date().timeIntervalSince(start) * 1000
        let output = String(decoding: environment.finishCapture(), as: UTF8.self)
        var trailer = ""
        if case let .initTimedOut(seconds) = finalOutcome {
            trailer += "\(Self.isoNow()) \(requestID) Init timed out after \(String(format: "%.2f", seconds)) seconds\n"
        }
        if finalOutcome == .timedOut {
            trailer += "\(Self.isoNow()) \(requestID) Task timed out after \(String(format: "%.2f", timeout)) seconds\n"
        }
        trailer += "END RequestId: \(requestID)\n"
        trailer += "REPORT RequestId: \(requestID)\tDuration: \(String(format: "%.2f", duration)) ms\tBilled Duration: \(Int(duration.rounded(.up))) ms\t"
            + "Memory Size: \(version.settings.memorySize) MB\tMax Memory Used: \(environment.maxMemoryUsedMB) MB\t"
            + (coldStart ? "Init Duration: \(String(format: "%.2f", environment.initDurationMs)) ms\t" : "") + "\n"
        log(trailer)
        let result = Self.result(finalOutcome, requestID: requestID, timeout: timeout)
        switch finalOutcome {
        case .response, .functionError:
            if environment.handle(.finished).contains(.destroy) { environment.destroy() } else { putIdle(environment) }
        default:
            _ = environment.handle(.crashed)
            environment.destroy()
        }
        return InvokeResult(requestID: requestID, payload: result.payload, functionError: result.failed,
                            log: header + output + trailer, executedVersion: version.version)
    }

    /// Kills every idle environment (the server is stopping, or the function changed).
    public func shutdown() {
        let all = lock.withLock { () -> [ExecutionEnvironment] in
            stopping = true
            defer { idle.removeAll() }
            return idle.values.flatMap { $0 }
        }
        all.forEach { $0.destroy() }
    }

    /// Drops idle environments of `function` (after an update or deletion).
    public func evict(account: String, function: String) {
        let victims = lock.withLock { () -> [ExecutionEnvironment] in
            let keys = idle.keys.filter { $0.account == account && $0.function == function }
            defer { keys.forEach { idle[$0] = nil } }
            return keys.flatMap { idle[$0] ?? [] }
        }
        victims.forEach { $0.destroy() }
    }

    public var inFlight: Int { lock.withLock { busy } }

    /// Stops idle environments whose idle timeout or lifetime ran out. `startReaper` calls it periodically.
    public func reapIdle() {
        let expired = lock.withLock { () -> [ExecutionEnvironment] in
            var gone: [ExecutionEnvironment] = []
            for (key, list) in idle {
                let (leaving, staying) = list.reduce(into: ([ExecutionEnvironment](), [ExecutionEnvironment]())) { parts, environment in
                    if environment.session.isEnded || environment.handle(.tick).contains(.destroy) { parts.0.append(environment) } else { parts.1.append(environment) }
                }
                gone += leaving
                idle[key] = staying.isEmpty ? nil : staying
            }
            return gone
        }
        expired.forEach { $0.destroy() }
    }

    /// Runs `reapIdle` every `interval` seconds until the task is cancelled.
    public func startReaper(interval: Double) -> Task<Void, Never> {
        Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                self?.reapIdle()
            }
        }
    }

    private func takeIdle(_ key: EnvironmentKey) -> ExecutionEnvironment? {
        lock.withLock {
            while var list = idle[key], let environment = list.popLast() {
                idle[key] = list.isEmpty ? nil : list
                if !environment.session.isEnded && environment.lifecycleState == .ready { return environment }
                environment.destroy()
            }
            return nil
        }
    }

    private func putIdle(_ environment: ExecutionEnvironment) {
        let keep = lock.withLock { () -> Bool in
            guard !stopping, !environment.session.isEnded, (idle[environment.key]?.count ?? 0) < configuration.idlePerVersion else { return false }
            idle[environment.key, default: []].append(environment)
            return true
        }
        if !keep { environment.destroy() }
    }

    private func start(_ version: FunctionVersion, key: EnvironmentKey, region: String, log: @escaping @Sendable (String) -> Void) async throws -> ExecutionEnvironment {
        guard let command = catalog.commands[version.settings.runtime] else {
            throw InvokerError.runtimeUnavailable(version.settings.runtime, catalog.identifiers)
        }
        let spec = sandboxSpec(version, command: command, region: region)
        let policy = EnvironmentLifecycle.Policy(mode: .reuse, idleTimeout: configuration.idleTimeout, maxLifetime: configuration.maxLifetime)
        return try await ExecutionEnvironment.start(key: key, spec: spec, launcher: launcher, group: group, policy: policy, output: log)
    }

    func sandboxSpec(_ version: FunctionVersion, command: [String], region: String) -> SandboxSpec {
        let s = version.settings
        var environment = s.environment.map { "\($0.key)=\($0.value)" }.sorted()
        var platform: [String: String] = [
            "_HANDLER": s.handler, "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": version.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(s.memorySize),
            "AWS_LAMBDA_FUNCTION_VERSION": version.version, "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(version.name)", "AWS_LAMBDA_LOG_STREAM_NAME": Self.logStreamName(version.version),
            "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime", "TZ": "UTC",
        ]
        if case .provided? = RuntimeName(s.runtime) {} else { platform["AWS_EXECUTION_ENV"] = "AWS_Lambda_\(s.runtime)" }
        // Unreserved defaults a function may override.
        var defaults = ["PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin", "LANG": "en_US.UTF-8", "PYTHONUNBUFFERED": "1",
                        "HOME": "/tmp"]
        for key in s.environment.keys { defaults[key] = nil }
        environment += defaults.map { "\($0.key)=\($0.value)" }.sorted()
        environment += platform.map { "\($0.key)=\($0.value)" }.sorted()
        let limits = ResourceLimits(memoryBytes: UInt64(s.memorySize) << 20, cpus: 1, pids: 1024, tmpBytes: UInt64(s.ephemeralStorage) << 20)
        return SandboxSpec(argv: command, environment: environment, workingDirectory: "/var/task",
                           binds: [BindMount(source: configuration.codeDirectory + "/" + version.code.digest, destination: "/var/task", readOnly: true),
                                   BindMount(source: configuration.bootstrapDirectory, destination: "/var/runtime", readOnly: true)],
                           limits: limits, identity: configuration.identity)
    }

    // MARK: Shapes

    static func result(_ outcome: InvocationOutcome, requestID: String, timeout: Double) -> (payload: [UInt8], failed: Bool) {
        switch outcome {
        case let .response(body):
            return (body, false)
        case let .functionError(body, _), let .initError(body, _):
            return (body.isEmpty ? errorJSON("Runtime.Unknown", "RequestId: \(requestID) Error: the runtime reported an error without a body") : body, true)
        case let .responseTooLarge(size):
            return (errorJSON("Function.ResponseSizeTooLarge", "Response payload size (\(size) bytes) exceeded maximum allowed payload size (\(runtimeResponseLimit) bytes)."), true)
        case let .exited(status, oomKilled):
            let how = status > 128 ? "signal: \(Self.signalName(status - 128))" : "exit status \(status)"
            if oomKilled {
                return (errorJSON("Runtime.OutOfMemory", "RequestId: \(requestID) Error: Runtime exited with error: \(how) (out of memory)"), true)
            }
            return (errorJSON("Runtime.ExitError", "RequestId: \(requestID) Error: Runtime exited with error: \(how)"), true)
        case .timedOut:
            return (errorJSON("Sandbox.Timedout", "RequestId: \(requestID) Error: Task timed out after \(String(format: "%.2f", timeout)) seconds"), true)
        case let .initTimedOut(seconds):
            return (errorJSON("Sandbox.Timedout", "RequestId: \(requestID) Error: Runtime init timed out after \(String(format: "%.2f", seconds)) seconds"), true)
        }
    }

    static func errorJSON(_ type: String, _ message: String) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: ["errorType": type, "errorMessage": message], options: [.sortedKeys])) ?? Data())
    }

    static func signalName(_ signal: Int32) -> String {
        [9: "killed", 15: "terminated", 6: "aborted", 11: "segmentation fault"][signal] ?? "signal \(signal)"
    }

    static func traceID() -> String {
        let hex = { (n: Int) in (0..<n).map { _ in String(Int.random(in: 0..<16), radix: 16) }.joined() }
        return "Root=1-\(String(Int(Date().timeIntervalSince1970), radix: 16))-\(hex(24));Parent=\(hex(16));Sampled=0"
    }

    static func logStreamName(_ version: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy/MM/dd"
        return "\(formatter.string(from: Date()))/[\(version)]\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
    }

    static func isoNow() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// What an invocation produced, for the Invoke API.
public struct InvokeResult: Sendable {
    public var requestID: String
    public var payload: [UInt8]
    /// The function failed (X-Amz-Function-Error: Unhandled).
    public var functionError: Bool
    /// This invocation's log, START to REPORT.
    public var log: String
    public var executedVersion: String
}

public enum InvokerError: Error, CustomStringConvertible {
    case runtimeUnavailable(String, [String])

    public var description: String {
        switch self {
        case let .runtimeUnavailable(runtime, available):
            return "runtime \(runtime) is not available on this host (available: \(available.joined(separator: ", ")))"
        }
    }
}
