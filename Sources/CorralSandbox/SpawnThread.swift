import Foundation

/// A thread that lives as long as the process and performs every clone.
///
/// PR_SET_PDEATHSIG fires when the *thread* that created the child exits, not the process; a sandbox
/// cloned from a pooled thread that later retires would be killed for no reason. Cloning only from this
/// thread ties every sandbox's life to the supervisor's.
final class SpawnThread: @unchecked Sendable {
    static let shared = SpawnThread()

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "corral-spawn"
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on the spawn thread and waits for its result.
    func run<T>(_ body: @escaping () -> T) -> T {
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
}
