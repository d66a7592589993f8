import Foundation

/// A thread of its own that runs the jobs handed to it, one at a time, for as long as the process lives;
/// the caller waits for each job's result. For work that must happen on one particular long-lived thread:
/// clones whose parent-death signal follows the cloning thread, or a thread that must carry no seccomp
/// filter (or one given filter) for good.
public final class DedicatedThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var thread: pthread_t?

    /// Starts the thread and runs `setup` on it before any job, returning once `setup` has run. The thread
    /// never ends, and it keeps this object alive: dropping the last reference does not stop it.
    public init(name: String, stackSize: Int = 1 << 20, setup: @escaping @Sendable () -> Void = {}) {
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            self.condition.withLock { self.thread = pthread_self() }
            setup()
            started.signal()
            while true {
                self.condition.lock()
                while self.jobs.isEmpty { self.condition.wait() }
                let job = self.jobs.removeFirst()
                self.condition.unlock()
                job()
            }
        }
        thread.name = name
        thread.stackSize = stackSize
        thread.start()
        started.wait()
    }

    /// Whether the calling thread is this one.
    public var isCurrent: Bool {
        condition.withLock { thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `body` on this thread and waits for its result.
    public func run<T>(_ body: @escaping () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        condition.lock()
        jobs.append {
            result = body()
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return result!
    }

    /// Runs `body` on this thread and waits for its result or its error.
    public func run<T>(_ body: @escaping () throws -> T) throws -> T {
        try run { Result { try body() } }.get()
    }
}
