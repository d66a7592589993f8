import CCorral
import CorralSystem
import Foundation

/// Network namespaces made ahead of time, each with `lo` up, so a launch does not pay for one.
///
/// Creating a network namespace is the costliest part of a clone (about 1 ms here; see
/// docs/benchmarks.md). A background thread keeps `capacity` of them ready; `take()` hands one out for
/// exactly one sandbox, and the launch falls back to CLONE_NEWNET when the pool is empty. A pooled
/// namespace is owned by the host's user namespace, so the sandbox's root has no capabilities over it:
/// it can use `lo` but cannot reconfigure anything.
final class NetworkNamespacePool: @unchecked Sendable {
    let capacity: Int
    let hostNamespace: Int32
    private let condition = NSCondition()
    private var ready: [Int32] = []

    /// `hostNamespace` is an fd for the supervisor's own network namespace (kept open by the caller).
    init(capacity: Int, hostNamespace: Int32) {
        self.capacity = capacity
        self.hostNamespace = hostNamespace
        let thread = Thread { [unowned self] in self.refill() }
        thread.name = "corral-netns-pool"
        thread.start()
    }

    /// A ready namespace fd (the caller closes it once the sandbox holds the namespace), or nil when empty.
    func take() -> Int32? {
        condition.lock()
        defer { condition.unlock() }
        guard !ready.isEmpty else { return nil }
        let fd = ready.removeFirst()
        condition.signal()
        return fd
    }

    private func refill() {
        while true {
            condition.lock()
            while ready.count >= capacity { condition.wait() }
            condition.unlock()
            let fd = corral_netns_create(hostNamespace)
            if fd < 0 {
                // Out of namespaces or memory: back off instead of spinning; launches fall back meanwhile.
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            condition.lock()
            ready.append(fd)
            condition.unlock()
        }
    }
}
