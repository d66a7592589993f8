import Foundation

/// Resolved versions kept in memory: Invoke resolves one per request, and SQLite with JSON-decoded
/// settings cost more than the rest of the control path together. Every write empties it.
///
/// A read that raced a write must not put the old answer back: readers note the generation before they
/// read the database and store their answer only if no write finished meanwhile.
final class VersionCache: @unchecked Sendable {
    struct Key: Hashable {
        var account: String
        var name: String
        var qualifier: String?
    }

    private let lock = NSLock()
    private var entries: [Key: FunctionVersion] = [:]
    private var generation = 0
    /// Entries kept at most; past it the cache starts again (a bound, not an LRU: hits dominate).
    private let capacity = 4096

    func lookup(_ key: Key) -> (FunctionVersion?, generation: Int) {
        lock.withLock { (entries[key], generation) }
    }

    func store(_ version: FunctionVersion, for key: Key, readAt generation: Int) {
        lock.withLock {
            guard generation == self.generation else { return }
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = version
        }
    }

    /// A write committed: every answer may be stale.
    func invalidate() {
        lock.withLock {
            generation += 1
            entries.removeAll(keepingCapacity: true)
        }
    }
}
