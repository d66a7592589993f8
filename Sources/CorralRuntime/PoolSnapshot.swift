import CorralPool
import CorralSystem

/// The warm pool at one moment, for `corral status` and the metrics: per function, its environments by
/// state and its concurrency settings; and the host's capacity.
public struct PoolSnapshot: Sendable, Codable, Equatable {
    public struct Function: Sendable, Codable, Equatable {
        public var account: String
        public var function: String
        public var creating = 0
        public var ready = 0
        public var busy = 0
        public var draining = 0
        /// Environments kept by provisioned concurrency (any state).
        public var provisioned = 0
        /// Invocations running now.
        public var inFlight = 0
        /// Reserved concurrency, if set.
        public var reserved: Int?
        /// Provisioned concurrency requested over all its versions and aliases.
        public var provisionedRequested = 0
    }

    public var functions: [Function]
    public var memoryUsedMB: Int
    public var memoryBudgetMB: Int
    public var environments: Int
    public var environmentBudget: Int
    /// Invocations waiting for room now.
    public var waiting: Int
    /// The supervisor's resident memory (VmRSS), in MB.
    public var supervisorResidentMB: Double?

    init(ledger: PoolLedger, waiting: Int, provisioned: [ProvisionedID: Int]) {
        var rows: [FunctionID: Function] = [:]
        func row(_ id: FunctionID) -> Function { rows[id] ?? Function(account: id.account, function: id.name) }
        for member in ledger.members.values {
            var r = row(member.key.function)
            switch member.state {
            case .creating: r.creating += 1
            case .ready: r.ready += 1
            case .busy: r.busy += 1
            case .draining: r.draining += 1
            case .gone: break
            }
            if member.provisioned { r.provisioned += 1 }
            rows[member.key.function] = r
        }
        for (function, count) in ledger.inFlight { var r = row(function); r.inFlight = count; rows[function] = r }
        for (function, limit) in ledger.reserved { var r = row(function); r.reserved = limit; rows[function] = r }
        for (id, requested) in provisioned { var r = row(id.function); r.provisionedRequested += requested; rows[id.function] = r }
        functions = rows.keys.sorted().compactMap { rows[$0] }
        memoryUsedMB = ledger.usedMemoryMB
        memoryBudgetMB = ledger.budget.memoryMB
        environments = ledger.usedEnvironments
        environmentBudget = ledger.budget.environments
        self.waiting = waiting
        supervisorResidentMB = ProcessMemory.residentBytes().map { Double($0) / 1_048_576 }
    }
}
