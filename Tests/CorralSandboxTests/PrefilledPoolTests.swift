import Foundation
import Testing
@testable import CorralSandbox

@Suite struct PrefilledPoolTests {
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var made = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            made += 1
            return made
        }
    }

    func waitUntil(_ condition: () -> Bool) {
        for _ in 0..<500 where !condition() { Thread.sleep(forTimeInterval: 0.01) }
    }

    @Test func fillsToCapacityHandsOutEachOnceAndDiscardsTheRestOnClose() {
        let counter = Counter()
        let pool = PrefilledPool(name: "test-pool", capacity: 3) { counter.next() }
        waitUntil { counter.made >= 3 }
        Thread.sleep(forTimeInterval: 0.05)
        #expect(counter.made == 3, "the pool must stop at its capacity")
        var taken: [Int] = []
        for _ in 0..<5 { if let e = pool.take() { taken.append(e) } }
        #expect(Set(taken).count == taken.count, "an element was handed out twice")
        // Nothing is made again until the launch that took says so.
        Thread.sleep(forTimeInterval: 0.05)
        #expect(counter.made == 3, "the pool refilled before replenish()")
        pool.replenish()
        waitUntil { counter.made >= 3 + taken.count }
        #expect(counter.made == 3 + taken.count)
        var discarded: [Int] = []
        pool.close { discarded.append($0) }
        #expect(!discarded.isEmpty)
        #expect(Set(discarded).isDisjoint(with: taken))
        #expect(pool.take() == nil)
    }

    @Test func anEmptyPoolReturnsNilInsteadOfWaiting() {
        let pool = PrefilledPool<Int>(name: "test-empty", capacity: 2) { nil }
        #expect(pool.take() == nil)
        pool.close { _ in Issue.record("nothing was made, nothing to discard") }
    }
}
