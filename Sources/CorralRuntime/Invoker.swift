import CorralFunctions
import CorralMetrics
import CorralPool
import CorralSandbox
import CorralSeccomp
import CorralSystem
import CorralStore
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Runs invocations: takes an execution environment from the warm pool (a ready one, or a new one: a cold
/// start), hands it the event, enforces the timeout, writes the invocation's START/END/REPORT lines, and
/// gives the environment back. The pool (WarmPool) decides which environments exist.
public final class Invoker: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Directory of Corral's runtime bootstraps (Bootstraps.install), mounted at /var/runtime.
        public var bootstrapDirectory: String
        /// Where code packages are unpacked (CodeStore.root): ROOT/<digest> is mounted at /var/task.
        public var codeDirectory: String
        /// Memory (sum of environments' limits) and number of environments the host may hold.
        public var budget = CapacityBudget.defaults(physicalMemoryBytes: HostMemory.physicalBytes())
        /// Seconds an idle environment is kept before it is stopped (scale to zero).
        public var idleTimeout: Double = 600
        /// Seconds an environment lives at most (it finishes a running invocation first).
        public var maxLifetime: Double = 4 * 3600
        /// Seconds an invocation waits for room on a full host before it gets 429.
        public var queueTimeout: Double = 2
        /// The region functions see (AWS_REGION).
        public var region = "us-east-1"
        /// Host uid/gid root maps to in every sandbox when `identities` is nil (tests, benchmarks).
        public var identity = SandboxIdentity()
        /// Each tenant's block of host ids (HostIDPool): its environments run as the tenant's own id, or
        /// in fresh mode as an id of its block held by that environment alone.
        public var identities: TenantIdentities?
        /// The seccomp profile every function's sandbox loads (the built-in default unless set).
        public var seccomp: SeccompProfile = Invoker.defaultSeccomp
        /// The aggregate cgroup each new environment of an account is made in (its tenant's; nil: none).
        public var groups: (@Sendable (String) -> SandboxGroup?)?
        /// The execution role's grants for each new environment (none when nil: tests, benchmarks).
        public var grants: GrantSource?

        public init(bootstrapDirectory: String, codeDirectory: String) {
            self.bootstrapDirectory = bootstrapDirectory
            self.codeDirectory = codeDirectory
        }
    }

    public let configuration: Configuration
    let launcher: SandboxLauncher
    let catalog: RuntimeCatalog
    let logs: FunctionLogs
    let logger: Logger
    let group: any EventLoopGroup
    let metrics: CorralMetrics?
    private(set) var pool: WarmPool! = nil
    private let lock = NSLock()
    private var busy = 0

    /// The built-in profile (config/seccomp/default.json, embedded and checked by its own tests).
    public static let defaultSeccomp: SeccompProfile = {
        do {
            return try SeccompProfile.builtInDefault
        } catch {
            fatalError("the built-in seccomp profile does not parse: \(error)")
        }
    }()

    /// Seconds a runtime may take from start to its first invocation/next (Lambda's init limit).
    static let initLimitSeconds = 10.0

    public init(configuration: Configuration, launcher: SandboxLauncher, catalog: RuntimeCatalog, logs: FunctionLogs,
                logger: Logger, metrics: CorralMetrics? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.launcher = launcher
        self.catalog = catalog
        self.logs = logs
        self.logger = logger
        self.group = group
        self.metrics = metrics
        let settings = WarmPool.Settings(budget: configuration.budget, idleTimeout: configuration.idleTimeout, maxLifetime: configuration.maxLifetime,
                                         queueTimeout: configuration.queueTimeout, initLimit: Self.initLimitSeconds)
        pool = WarmPool(settings: settings, logger: logger, metrics: metrics) { [unowned self] version, initialization, onExit in
            try await self.startEnvironment(version, initialization: initialization, onExit: onExit)
        }
    }

    /// Invokes `version` with `payload`; `arn` is the ARN the caller used (with its qualifier). Throws when
    /// the invocation may not run (throttled, or the server is stopping); a failing function is a result.
    public func invoke(_ version: FunctionVersion, arn: String, payload: [UInt8], clientContext: String?) async throws(InvokerError) -> InvokeResult {
        let requestID = UUID().uuidString.lowercased()
        let log: @Sendable (String) -> Void = { [logs] text in logs.append(account: version.account, function: version.name, text) }
        lock.withLock { busy += 1 }
        defer { lock.withLock { busy -= 1 } }

        let requested = Date()
        let lease: WarmPool.Lease
        do {
            lease = try await pool.acquire(version)
        } catch {
            switch error {
            case let .throttled(reason):
                metrics?.throttle(account: version.account, function: version.name, reason: reason.rawValue)
                throw .throttled(reason)
            case .stopping:
                throw .stopping
            case let .startFailed(error):
                logger.error("cannot start an environment for \(version.name):\(version.version): \(error)")
                let text = "START RequestId: \(requestID) Version: \(version.version)\n\(error)\nEND RequestId: \(requestID)\n"
                log(text)
                return InvokeResult(requestID: requestID, payload: Self.errorJSON("Runtime.InvalidEntrypoint", "RequestId: \(requestID) Error: \(error)"),
                                    functionError: true, log: text, executedVersion: version.version)
            }
        }
        let environment = lease.environment
        let coldStart = lease.coldStart
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
            if outcome == nil { await pool.initialized(lease) }
        }
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
        let survived: Bool
        switch finalOutcome {
        case .response, .functionError: survived = true
        default: survived = false
        }
        if !survived { environment.destroy() }
        await pool.release(lease, crashed: !survived)
        metrics?.invocation(account: version.account, function: version.name, error: result.failed, durationSeconds: duration / 1000,
                            initSeconds: coldStart ? environment.initDurationMs / 1000 : nil)
        return InvokeResult(requestID: requestID, payload: result.payload, functionError: result.failed,
                            log: header + output + trailer, executedVersion: version.version)
    }

    /// Kills every environment (the server is stopping).
    public func shutdown() async {
        await pool.shutdown()
        await ExecutionEnvironment.reaped()
    }

    /// A function changed or went (one version, or all when `version` is nil): its idle environments go
    /// now, busy ones after their invocation.
    public func drain(account: String, function: String, version: String? = nil) async {
        await pool.drain(FunctionID(account: account, name: function), version: version)
    }

    /// A function was deleted: its environments go, and its log file is closed. The log itself stays (a
    /// CloudWatch log group outlives its function too) and is appended to again if the name comes back.
    public func functionDeleted(account: String, function: String) async {
        await pool.drain(FunctionID(account: account, name: function), version: nil)
        logs.close(account: account, function: function)
    }

    /// Every tenant's concurrency quota (invocations at once over all its functions), by account;
    /// accounts not listed have `defaultQuota` (nil: none beyond the host's capacity). Past it: 429,
    /// ConcurrentInvocationLimitExceeded.
    public func setTenantConcurrencyQuotas(_ quotas: [String: Int], default defaultQuota: Int? = nil) async {
        await pool.setTenantQuotas(quotas, default: defaultQuota)
    }

    /// Reserved concurrency of a function (nil: none).
    public func setReservedConcurrency(account: String, function: String, _ limit: Int?) async {
        await pool.setReserved(FunctionID(account: account, name: function), limit)
    }

    /// Keeps `requested` environments of `version` initialized for the configuration on (function, qualifier);
    /// nil or 0 removes it.
    public func setProvisionedConcurrency(_ id: ProvisionedID, version: FunctionVersion?, requested: Int) async {
        await pool.setProvisioned(id, version: version, requested: requested)
    }

    /// The configuration's environments: allocated (existing) and available (initialized), and the last
    /// failure to initialize one. Nil when no configuration is set.
    public func provisionedStatus(_ id: ProvisionedID) async -> (allocated: Int, available: Int, failure: String?)? {
        await pool.provisionedStatus(id)
    }

    public func snapshot() async -> PoolSnapshot {
        await pool.snapshot()
    }

    public var inFlight: Int { lock.withLock { busy } }

    /// Runs the pool's housekeeping (idle timeout, lifetime, dead and missing environments) every
    /// `interval` seconds until the task is cancelled.
    public func startReaper(interval: Double) -> Task<Void, Never> {
        Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                await self?.pool.tick()
            }
        }
    }

    private func startEnvironment(_ version: FunctionVersion, initialization: InitializationType, onExit: @escaping @Sendable () -> Void) async throws -> ExecutionEnvironment {
        guard let command = catalog.commands[version.settings.runtime] else {
            throw InvokerError.runtimeUnavailable(version.settings.runtime, catalog.identifiers)
        }
        let noSlot: @Sendable () -> Void = {}
        let (identity, release) = try configuration.identities?.identity(account: version.account, fresh: version.settings.environmentMode == .fresh)
            ?? (configuration.identity, noSlot)
        var released = false
        defer { if !released { release() } }
        var spec = sandboxSpec(version, command: command, region: configuration.region, initialization: initialization, identity: identity)
        spec.group = configuration.groups?(version.account)
        let grants = try configuration.grants?(version) ?? .none
        let log: @Sendable (String) -> Void = { [logs] text in logs.append(account: version.account, function: version.name, text) }
        let environment = try await ExecutionEnvironment.start(spec: spec, grants: grants, launcher: launcher, group: group, logger: logger,
                                                               output: log, onExit: { release(); onExit() })
        released = true
        return environment
    }

    func sandboxSpec(_ version: FunctionVersion, command: [String], region: String, initialization: InitializationType = .onDemand,
                     identity: SandboxIdentity? = nil) -> SandboxSpec {
        let s = version.settings
        var environment = s.environment.map { "\($0.key)=\($0.value)" }.sorted()
        var platform: [String: String] = [
            "_HANDLER": s.handler, "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": version.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(s.memorySize),
            "AWS_LAMBDA_FUNCTION_VERSION": version.version, "AWS_LAMBDA_INITIALIZATION_TYPE": initialization.rawValue,
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
        return SandboxSpec(argv: command, environment: environment, workingDirectory: "/var/task",
                           binds: [BindMount(source: configuration.codeDirectory + "/" + version.code.digest, destination: "/var/task", readOnly: true),
                                   BindMount(source: configuration.bootstrapDirectory, destination: "/var/runtime", readOnly: true)],
                           limits: Self.limits(s), seccomp: configuration.seccomp, identity: identity ?? configuration.identity)
    }

    /// The kernel-enforced limits of a function's sandbox: its memory (swap off), one CPU, 1024 tasks, and
    /// /tmp of its ephemeral storage size.
    public static func limits(_ settings: FunctionSettings) -> ResourceLimits {
        ResourceLimits(memoryBytes: UInt64(settings.memorySize) << 20, cpus: 1, pids: 1024, tmpBytes: UInt64(settings.ephemeralStorage) << 20)
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
        var generator = SystemRandomNumberGenerator()
        let hex = { (value: UInt64, digits: Int) -> String in
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let root = hex(generator.next() >> 32, 8) + hex(generator.next(), 16)
        return "Root=1-\(String(Int(Date().timeIntervalSince1970), radix: 16))-\(root);Parent=\(hex(generator.next(), 16));Sampled=0"
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
    /// Refused with 429: Lambda's Reason says which limit.
    case throttled(ThrottleReason)
    /// The server is stopping and takes no new invocations.
    case stopping

    public var description: String {
        switch self {
        case let .runtimeUnavailable(runtime, available):
            return "runtime \(runtime) is not available on this host (available: \(available.joined(separator: ", ")))"
        case let .throttled(reason):
            return "throttled: \(reason.rawValue)"
        case .stopping:
            return "the server is stopping"
        }
    }
}
