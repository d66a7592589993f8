import Foundation

/// Resources made ahead of time by a background thread, so a launch does not wait for them.
///
/// Keeps up to `capacity` elements ready; `take()` hands one out (never twice) or returns nil when the pool
/// is empty, and the caller then makes one itself. The pool lives until `close(discard:)`. Used for network namespaces and cgroups, the two
/// costliest kernel objects of a launch (docs/benchmarks.md).
final class PrefilledPool<Element>: @unchecked Sendable {
    let capacity: Int
    private let make: () -> Element?
    private let condition = NSCondition()
    private var ready: [Element] = []
    private var closed = false
    private var making = false
    private var waitForReplenish = false

    /// `make` runs on the pool's own thread; it returns nil on failure (the pool backs off and retries).
    init(name: String, capacity: Int, make: @escaping () -> Element?) {
        self.capacity = capacity
        self.make = make
        // The thread keeps the pool alive until `close()`, after which it ends.
        let thread = Thread { self.refill() }
        thread.name = name
        thread.start()
    }

    /// A ready element, or nil when none is. The pool is not refilled until `replenish()`: making a cgroup
    /// holds the kernel's cgroup_mutex, and refilling while a launch writes its own cgroup files made that
    /// launch wait (the v1 "enter the cgroups" phase went from 0.07 to 0.35 ms p50).
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        guard !ready.isEmpty else { return nil }
        return ready.removeFirst()
    }

    /// Lets the pool make up for what was taken; call once the launch that took from it is past its
    /// kernel-heavy part.
    func replenish() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    /// Stops refilling and hands every ready element to `discard`, once the element being made (if any)
    /// is done. After it, `take()` returns nil.
    func close(discard: (Element) -> Void) {
        condition.lock()
        closed = true
        condition.broadcast()
        while making { condition.wait() }
        let leftovers = ready
        ready = []
        condition.unlock()
        leftovers.forEach(discard)
    }

    private func refill() {
        while true {
            condition.lock()
            while (ready.count >= capacity || waitForReplenish) && !closed {
                condition.wait()
                waitForReplenish = false
            }
            if closed {
                condition.unlock()
                return
            }
            making = true
            condition.unlock()
            let element = make()
            condition.lock()
            making = false
            if let element { ready.append(element) }
            if ready.count >= capacity { waitForReplenish = true }
            condition.broadcast()
            condition.unlock()
            if element == nil {
                // Out of namespaces, memory or cgroups: back off instead of spinning; launches make their own.
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }
}
