import Foundation

/// A thread that lives as long as the process, for clones requested from threads that may not.
///
/// PR_SET_PDEATHSIG fires when the *thread* that created the child exits, not the process; a sandbox
/// cloned from a pooled thread that later retires would be killed for no reason. So every clone happens
/// on a thread that lives as long as the process: the main thread itself (`corral run`, `corral bench`),
/// or this one. Handing a clone over costs a thread wake-up (about 0.5 ms measured on these VMs, whose
/// idle vCPUs are slow to wake), which is why the main thread does not hand over.
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
        pthread_setspecific(Self.key, UnsafeRawPointer(bitPattern: 1))
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` right here when the calling thread lives as long as the process (the main thread, or
    /// the spawn thread itself), else on the spawn thread.
    static func onLongLivedThread<T>(_ body: @escaping () -> T) -> T {
        if Thread.isMainThread || pthread_getspecific(key) != nil { return body() }
        return shared.run(body)
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
