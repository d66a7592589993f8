import Foundation

/// The Runtime API's state for one execution environment: the runtime's half-open `invocation/next`,
/// the invocation in flight, and the waiters for "initialized" and "outcome". Called from the HTTP side
/// (any thread) and the invoker; a lock serializes both. One invocation at a time, as Lambda does.
public final class RuntimeSession: @unchecked Sendable {
    public enum Reply: Equatable, Sendable {
        case accepted                                   // 202 {"status":"OK"}
        case error(status: Int, type: String, message: String)
    }

    /// What a parked `invocation/next` receives: the invocation, or nil when the environment is going away.
    public typealias NextResponder = @Sendable (Invocation?) -> Void

    private let lock = NSLock()
    private var parkedNext: NextResponder?
    private var queued: Invocation?
    private var inFlight: Invocation?
    private var outcomeWaiter: CheckedContinuation<InvocationOutcome, Never>?
    private var readyWaiters: [CheckedContinuation<InvocationOutcome?, Never>] = []
    private var initialized = false
    private var ended: InvocationOutcome?

    public init() {}

    // MARK: The runtime's side (HTTP handlers)

    /// What `next` does with its request, decided under the lock in the same step that changes the state:
    /// a responder is answered by exactly one party, whoever took it out of the state.
    private enum NextAction {
        case deliver(Invocation)
        /// The environment has ended: answer nil now.
        case refuse
        /// Parked; `end` or `invoke` answers it. A responder it replaced is answered nil now (a runtime
        /// asking twice at once keeps only its latest request).
        case park(replaced: NextResponder?)
    }

    /// GET invocation/next: answered now if an invocation is queued, else when one comes.
    public func next(_ respond: @escaping NextResponder) {
        var ready: [CheckedContinuation<InvocationOutcome?, Never>] = []
        let action: NextAction = lock.withLock {
            if !initialized {
                initialized = true
                ready = readyWaiters
                readyWaiters = []
            }
            if ended != nil { return .refuse }
            if let invocation = queued {
                queued = nil
                inFlight = invocation
                return .deliver(invocation)
            }
            let replaced = parkedNext
            parkedNext = respond
            return .park(replaced: replaced)
        }
        for waiter in ready { waiter.resume(returning: nil) }
        switch action {
        case let .deliver(invocation): respond(invocation)
        case .refuse: respond(nil)
        case let .park(replaced): replaced?(nil)
        }
    }

    /// POST invocation/{id}/response or /error.
    public func finish(requestID: String, with outcome: InvocationOutcome) -> Reply {
        let waiter: CheckedContinuation<InvocationOutcome, Never>? = lock.withLock {
            guard let current = inFlight, current.requestID == requestID else { return nil }
            inFlight = nil
            defer { outcomeWaiter = nil }
            return outcomeWaiter
        }
        guard let waiter else {
            return .error(status: 400, type: "InvalidRequestID", message: "Invalid request ID: \(requestID) is not the invocation in flight")
        }
        waiter.resume(returning: outcome)
        if case .responseTooLarge = outcome {
            return .error(status: 413, type: "RequestEntityTooLarge", message: "Response payload size exceeded maximum allowed payload size (\(runtimeResponseLimit) bytes).")
        }
        return .accepted
    }

    /// POST init/error.
    public func initFailed(_ body: [UInt8], type: String?) -> Reply {
        end(.initError(body, type: type))
        return .accepted
    }

    // MARK: The invoker's side

    /// Waits until the runtime first asks for work (nil), or reports why it never will. Any number of
    /// callers may wait.
    public func waitUntilReady() async -> InvocationOutcome? {
        await withCheckedContinuation { continuation in
            let now: InvocationOutcome?? = lock.withLock {
                if let ended { return .some(ended) }
                if initialized { return .some(nil) }
                readyWaiters.append(continuation)
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Hands `invocation` to the runtime and waits for how it ends (`end(_:)` ends it too: exit, timeout).
    public func invoke(_ invocation: Invocation) async -> InvocationOutcome {
        await withCheckedContinuation { continuation in
            var respond: NextResponder?
            let already: InvocationOutcome? = lock.withLock {
                if let ended { return ended }
                outcomeWaiter = continuation
                if let parked = parkedNext {
                    parkedNext = nil
                    inFlight = invocation
                    respond = parked
                } else {
                    queued = invocation
                }
                return nil
            }
            if let already { continuation.resume(returning: already); return }
            respond?(invocation)
        }
    }

    /// The environment is over (runtime exited, killed on timeout, init failed): every waiter learns why.
    public func end(_ outcome: InvocationOutcome) {
        let (ready, waiter, parked): ([CheckedContinuation<InvocationOutcome?, Never>], CheckedContinuation<InvocationOutcome, Never>?, NextResponder?) = lock.withLock {
            if ended == nil { ended = outcome }
            defer { readyWaiters = []; outcomeWaiter = nil; parkedNext = nil; inFlight = nil; queued = nil }
            return (readyWaiters, outcomeWaiter, parkedNext)
        }
        for continuation in ready { continuation.resume(returning: outcome) }
        waiter?.resume(returning: outcome)
        parked?(nil)
    }

    public var isEnded: Bool { lock.withLock { ended != nil } }
}
