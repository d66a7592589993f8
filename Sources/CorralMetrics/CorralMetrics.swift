import Foundation
import Prometheus

/// Corral's Prometheus metrics (swift-prometheus): what `/metrics` serves. Counters and histograms are
/// recorded as invocations happen; the pool's gauges are set from a snapshot when the page is scraped.
public final class CorralMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let gaugeLabels = LockedLabels()

    public init() {}

    /// Seconds: from 1 ms to 15 minutes (Lambda's longest timeout).
    static let durationBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900]

    private static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "corral", metricName: name, unitName: unit, helpText: help)
    }

    private static func functionLabels(account: String, function: String) -> [(String, String)] {
        [("account", account), ("function", function)]
    }

    /// The per-function series, made once per function (the registry's lookup hashes the labels under a
    /// lock on every call).
    private final class FunctionSeries: Sendable {
        let invocations: Counter
        let errors: Counter
        let duration: ValueHistogram
        let coldStarts: Counter
        let initDuration: ValueHistogram

        init(_ registry: PrometheusCollectorRegistry, _ labels: [(String, String)]) {
            invocations = registry.makeCounter(descriptor: CorralMetrics.descriptor("invocations", "total", "Invocations run, by function."), labels: labels)
            errors = registry.makeCounter(descriptor: CorralMetrics.descriptor("invocation_errors", "total", "Invocations whose function failed."), labels: labels)
            duration = registry.makeValueHistogram(descriptor: CorralMetrics.descriptor("invocation_duration", "seconds", "Time from handing the event to the runtime to its answer."),
                                                   labels: labels, buckets: CorralMetrics.durationBuckets)
            coldStarts = registry.makeCounter(descriptor: CorralMetrics.descriptor("cold_starts", "total", "Invocations that started a new execution environment."), labels: labels)
            initDuration = registry.makeValueHistogram(descriptor: CorralMetrics.descriptor("init_duration", "seconds", "Cold starts: from the request to the runtime's first invocation/next."),
                                                       labels: labels, buckets: CorralMetrics.durationBuckets)
        }
    }

    private let series = SeriesTable()

    private final class SeriesTable: @unchecked Sendable {
        private let lock = NSLock()
        private var table: [String: FunctionSeries] = [:]
        func get(_ key: String, _ make: () -> FunctionSeries) -> FunctionSeries {
            lock.withLock {
                if let found = table[key] { return found }
                let made = make()
                table[key] = made
                return made
            }
        }
    }

    /// One invocation ended: `error` when the function failed (X-Amz-Function-Error).
    public func invocation(account: String, function: String, error: Bool, durationSeconds: Double, initSeconds: Double?) {
        let s = series.get(account + "/" + function) { FunctionSeries(registry, Self.functionLabels(account: account, function: function)) }
        s.invocations.increment()
        if error { s.errors.increment() }
        s.duration.record(durationSeconds)
        if let initSeconds {
            s.coldStarts.increment()
            s.initDuration.record(initSeconds)
        }
    }

    /// An invocation was refused with 429; `reason` is Lambda's Reason.
    public func throttle(account: String, function: String, reason: String) {
        registry.makeCounter(descriptor: Self.descriptor("throttles", "total", "Invocations refused with TooManyRequestsException."),
                             labels: Self.functionLabels(account: account, function: function) + [("reason", reason)]).increment()
    }

    /// An idle environment was destroyed to make room for another.
    public func eviction() {
        registry.makeCounter(descriptor: Self.descriptor("evictions", "total", "Idle environments destroyed to make room on a full host."), labels: []).increment()
    }

    /// An invocation had to wait for room on a full host.
    public func queued() {
        registry.makeCounter(descriptor: Self.descriptor("queued_invocations", "total", "Invocations that waited for room on a full host."), labels: []).increment()
    }

    /// One row of the pool's state: environments of a function in one state.
    public struct EnvironmentCount: Sendable {
        public var account: String
        public var function: String
        public var state: String
        public var count: Int

        public init(account: String, function: String, state: String, count: Int) {
            self.account = account
            self.function = function
            self.state = state
            self.count = count
        }
    }

    /// Sets the pool's gauges; label sets seen before and absent now are set to zero.
    public func updatePool(environments: [EnvironmentCount], memoryUsedMB: Int, memoryBudgetMB: Int, environmentBudget: Int, waiting: Int) {
        let descriptor = Self.descriptor("environments", "", "Execution environments by function and state.")
        var seen = Set<[String]>()
        for row in environments {
            let labels = [row.account, row.function, row.state]
            seen.insert(labels)
            registry.makeGauge(descriptor: descriptor, labels: [("account", row.account), ("function", row.function), ("state", row.state)]).set(Double(row.count))
        }
        for stale in gaugeLabels.replace(with: seen).subtracting(seen) {
            registry.makeGauge(descriptor: descriptor, labels: [("account", stale[0]), ("function", stale[1]), ("state", stale[2])]).set(0.0)
        }
        registry.makeGauge(descriptor: Self.descriptor("capacity_memory_used", "megabytes", "Sum of the memory limits of all environments."), labels: []).set(Double(memoryUsedMB))
        registry.makeGauge(descriptor: Self.descriptor("capacity_memory_budget", "megabytes", "The host's memory budget for environments."), labels: []).set(Double(memoryBudgetMB))
        registry.makeGauge(descriptor: Self.descriptor("capacity_environments_budget", "", "The host's budget of environments."), labels: []).set(Double(environmentBudget))
        registry.makeGauge(descriptor: Self.descriptor("waiting_invocations", "", "Invocations waiting for room now."), labels: []).set(Double(waiting))
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

/// The label sets of the environment gauges set last time.
private final class LockedLabels: @unchecked Sendable {
    private let lock = NSLock()
    private var labels = Set<[String]>()

    /// Stores `new`, returns what was stored before.
    func replace(with new: Set<[String]>) -> Set<[String]> {
        lock.withLock {
            defer { labels = new }
            return labels
        }
    }
}
