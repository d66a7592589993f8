/// The life of one execution environment as a pure state machine: no I/O, no clock of its own (every event
/// carries the time), so every transition can be tested exhaustively. The warm-pool manager (an actor)
/// feeds it events and carries out the actions it returns.
///
///     creating --initialized--> ready --assigned--> busy --finished--> ready (reuse) / gone (fresh)
///        |                        |                   |
///        +--failed--> gone        +--expired/evicted/drain--> gone      +--crashed/timedOut--> gone
///                                                     +--drain--> draining --finished--> gone
public struct EnvironmentLifecycle: Equatable, Sendable {
    public enum State: String, Equatable, Sendable, CaseIterable {
        case creating, ready, busy, draining, gone
    }

    /// Lambda's model (reuse) or one invocation per environment (fresh).
    public enum Mode: String, Equatable, Sendable {
        case reuse, fresh
    }

    public struct Policy: Equatable, Sendable {
        public var mode: Mode
        /// Seconds an idle (ready) environment is kept; nil keeps it (provisioned concurrency).
        public var idleTimeout: Double?
        /// Seconds an environment may live at most, busy or not, counted from its creation.
        public var maxLifetime: Double?

        public init(mode: Mode = .reuse, idleTimeout: Double? = 600, maxLifetime: Double? = 4 * 3600) {
            self.mode = mode
            self.idleTimeout = idleTimeout
            self.maxLifetime = maxLifetime
        }
    }

    public enum Event: Equatable, Sendable {
        /// The runtime asked for its first invocation.
        case initialized
        /// Init failed (init/error, exit before ready, init timeout).
        case failed
        /// An invocation was handed to it.
        case assigned
        /// Its invocation ended with a response or a function error (the runtime lives on).
        case finished
        /// The runtime process died, or the invocation timed out and the sandbox was killed.
        case crashed
        /// Its version changed or was deleted: finish what runs, take nothing new.
        case drain
        /// The manager needs its memory for another environment (only an idle one may be evicted).
        case evicted
        /// Time passes: checks the idle timeout and the maximum lifetime.
        case tick
    }

    public enum Action: Equatable, Sendable {
        /// Kill the sandbox and forget the environment.
        case destroy
        /// It may take an invocation now.
        case offer
    }

    public enum Refusal: Error, Equatable, Sendable {
        /// The event makes no sense in this state (assigning to a busy environment, say): nothing changed.
        case invalid(State, Event)
    }

    public private(set) var state: State = .creating
    public let policy: Policy
    public let createdAt: Double
    /// When it last became ready (for the idle timeout).
    public private(set) var idleSince: Double
    public private(set) var invocations = 0

    public init(policy: Policy, now: Double) {
        self.policy = policy
        self.createdAt = now
        self.idleSince = now
    }

    /// Applies `event` at `now` (seconds on the manager's clock). Returns what the manager must do.
    /// Events in `gone` are ignored; events that make no sense elsewhere are refused without a change.
    @discardableResult
    public mutating func handle(_ event: Event, now: Double) throws(Refusal) -> [Action] {
        switch (state, event) {
        case (.gone, _):
            return []
        case (.creating, .initialized):
            return become(.ready, now: now)
        case (.creating, .failed), (.creating, .crashed), (.ready, .crashed), (.busy, .crashed), (.draining, .crashed):
            return finish()
        case (.creating, .drain):
            // Not usable for the new version; it is killed now (it holds no invocation).
            return finish()
        case (.ready, .assigned):
            state = .busy
            invocations += 1
            return []
        case (.busy, .finished):
            if policy.mode == .fresh || expired(now) { return finish() }
            return become(.ready, now: now)
        case (.ready, .drain), (.ready, .evicted):
            return finish()
        case (.busy, .drain):
            state = .draining
            return []
        case (.draining, .finished):
            return finish()
        case (.ready, .tick):
            return expired(now) || idleTooLong(now) ? finish() : []
        case (.creating, .tick), (.busy, .tick), (.draining, .tick), (.draining, .drain):
            return []
        default:
            throw .invalid(state, event)
        }
    }

    private mutating func become(_ next: State, now: Double) -> [Action] {
        if expired(now) { return finish() }
        state = next
        idleSince = now
        return [.offer]
    }

    private mutating func finish() -> [Action] {
        state = .gone
        return [.destroy]
    }

    private func expired(_ now: Double) -> Bool {
        policy.maxLifetime.map { now - createdAt >= $0 } ?? false
    }

    private func idleTooLong(_ now: Double) -> Bool {
        policy.idleTimeout.map { now - idleSince >= $0 } ?? false
    }
}
