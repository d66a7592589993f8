import CCorral
import CorralSeccomp
import CorralSystem
import Foundation

/// The long-lived threads that clone sandboxes, and the seccomp filter each carries.
///
/// PR_SET_PDEATHSIG fires when the *thread* that created the child exits, not the process; a sandbox
/// cloned from a pooled thread that later retires would be killed for no reason. So every clone happens
/// on a thread that lives as long as the process: the main thread itself (`corral run`, `corral bench`),
/// or one of these. Handing a clone over costs a thread wake-up (about 0.5 ms measured on these VMs, whose
/// idle vCPUs are slow to wake), which is why the main thread does not hand over when it can help it.
///
/// A cloning thread may carry the outer half of a split seccomp profile (SeccompSplit): its sandboxes
/// inherit it and load only the inner half. A filter can never be removed from a thread, so each thread
/// serves one filter (or none) for good: the main thread takes the first one it is asked for when the
/// launcher allows it, and a launch for another filter goes to the spawn thread kept for that filter.
final class SpawnThread: @unchecked Sendable {
    /// The filter this thread carries; nil when it carries none (also when loading it failed). Set by the
    /// thread itself before `init` returns.
    private(set) var filter: SeccompProgram?
    /// The filter the thread was started for (what `thread(for:)` matches on).
    private let wanted: SeccompProgram?
    private var thread: DedicatedThread!

    private init(carrying wanted: SeccompProgram?) {
        self.wanted = wanted
        thread = DedicatedThread(name: "corral-spawn") { [unowned self] in
            if let wanted, Self.load(wanted) { self.filter = wanted }
        }
    }

    private static let registry = NSLock()
    nonisolated(unsafe) private static var threads: [SpawnThread] = []
    /// What the main thread carries: nil until it takes a filter.
    nonisolated(unsafe) private static var mainFilter: SeccompProgram?

    /// The spawn thread for `filter` (nil: the unfiltered one), started on first use. Few filters exist (one
    /// per seccomp profile in use), so neither are many threads.
    private static func thread(for filter: SeccompProgram?) -> SpawnThread {
        registry.withLock {
            if let known = threads.first(where: { $0.wanted == filter }) { return known }
            let made = SpawnThread(carrying: filter)
            threads.append(made)
            return made
        }
    }

    /// Runs `body` on a long-lived thread and tells it what that thread carries: `filter`, or nil, in which
    /// case the sandbox must load its whole profile itself. Runs right here when this thread can clone
    /// without a wrong filter: the main thread when it carries `filter`, takes it now (`mainMayTake`) or
    /// carries none; a spawn thread when it is the one for `filter` or carries none. Otherwise hands over
    /// to the spawn thread for `filter`.
    static func run<T>(carrying filter: SeccompProgram?, mainMayTake: Bool, _ body: @escaping (SeccompProgram?) -> T) -> T {
        if Thread.isMainThread {
            let here: SeccompProgram?? = registry.withLock {
                if mainFilter == filter { return .some(filter) }
                guard mainFilter == nil else { return nil }
                if let filter, mainMayTake, load(filter) {
                    mainFilter = filter
                    return .some(filter)
                }
                return .some(nil)
            }
            if let here { return body(here) }
        } else if let current = registry.withLock({ threads.first { $0.thread.isCurrent } }),
                  current.wanted == filter || current.filter == nil {
            return body(current.filter == filter ? filter : nil)
        }
        let spawn = thread(for: filter)
        return spawn.thread.run { body(spawn.filter) }
    }

    /// Loads `filter` on the calling thread (it applies to this thread and to whatever it clones from now on).
    private static func load(_ filter: SeccompProgram) -> Bool {
        filter.withUnsafeFilter { pointer, count in corral_load_thread_filter(pointer, UInt16(count)) == 0 }
    }

}
