/// A function of a tenant: what reserved concurrency and draining apply to.
public struct FunctionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var account: String
    public var name: String

    public init(account: String, name: String) {
        self.account = account
        self.name = name
    }

    public var description: String { "\(account)/\(name)" }

    public static func < (a: FunctionID, b: FunctionID) -> Bool { (a.account, a.name) < (b.account, b.name) }
}

/// What an execution environment may be reused for: one version of one function, as it was when the
/// environment started (a changed $LATEST has a new revision, so its old environments are not reused).
public struct PoolKey: Hashable, Sendable, CustomStringConvertible {
    public var function: FunctionID
    public var version: String
    public var revisionID: String

    public init(account: String, function: String, version: String, revisionID: String) {
        self.function = FunctionID(account: account, name: function)
        self.version = version
        self.revisionID = revisionID
    }

    public var account: String { function.account }
    public var description: String { "\(function):\(version)" }
}

/// The host's capacity for execution environments: the sum of their memory limits, and their number.
public struct CapacityBudget: Equatable, Sendable {
    public var memoryMB: Int
    public var environments: Int

    public init(memoryMB: Int, environments: Int) {
        self.memoryMB = memoryMB
        self.environments = environments
    }

    /// Three quarters of the machine's memory, and one environment per 128 MB of it (at most 4096): room
    /// for the supervisor and the page cache, and every environment at Lambda's smallest size.
    public static func defaults(physicalMemoryBytes: UInt64) -> CapacityBudget {
        let memoryMB = Int(physicalMemoryBytes >> 20) * 3 / 4
        return CapacityBudget(memoryMB: memoryMB, environments: defaultEnvironments(memoryMB: memoryMB))
    }

    /// One environment per 128 MB of `memoryMB`, at least 1 and at most 4096.
    public static func defaultEnvironments(memoryMB: Int) -> Int {
        max(1, min(4096, memoryMB / 128))
    }

    /// The budget with its environments cut to what `fileDescriptors` (the supervisor's RLIMIT_NOFILE)
    /// holds: `reserved` for the API, the store and the logs, and `perEnvironment` for each environment at
    /// the most its listeners admit (its Runtime API, egress and Lambda-endpoint connections, pipes and
    /// pidfd). So the supervisor's fds are budgeted like memory: an environment that does not fit in them
    /// is never started, and one sandbox's connections cannot take another's, nor the API's. Nil when not
    /// even one environment fits.
    public func limited(fileDescriptors: Int, perEnvironment: Int, reserved: Int) -> CapacityBudget? {
        let fitting = (fileDescriptors - reserved) / max(1, perEnvironment)
        guard fitting >= 1 else { return nil }
        return CapacityBudget(memoryMB: memoryMB, environments: min(environments, fitting))
    }
}

/// Why an invocation was refused: Lambda's `Reason` of TooManyRequestsException.
public enum ThrottleReason: String, Equatable, Sendable {
    /// The function's reserved concurrency is reached (or is zero: the function is disabled).
    case reservedFunctionConcurrency = "ReservedFunctionConcurrentInvocationLimitExceeded"
    /// The tenant's concurrency quota is reached, or the host had no room within the queue timeout.
    case concurrentInvocations = "ConcurrentInvocationLimitExceeded"
}
