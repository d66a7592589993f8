import CorralRuntime
import Foundation
import Testing

@Suite struct RuntimeSessionTests {
    @Test("every caller waiting for the runtime's first invocation/next is told, and so is one that comes later")
    func severalReadyWaiters() async {
        let session = RuntimeSession()
        async let first = session.waitUntilReady()
        async let second = session.waitUntilReady()
        // Let both park before the runtime asks for work.
        try? await Task.sleep(nanoseconds: 50_000_000)
        session.next { _ in }
        let (a, b) = await (first, second)
        #expect(a == nil && b == nil)
        #expect(await session.waitUntilReady() == nil)
    }

    @Test("when the environment ends before it is ready, every waiter learns why")
    func endedBeforeReady() async {
        let session = RuntimeSession()
        async let first = session.waitUntilReady()
        async let second = session.waitUntilReady()
        try? await Task.sleep(nanoseconds: 50_000_000)
        session.end(.exited(status: 3, oomKilled: false))
        let (a, b) = await (first, second)
        #expect(a == .exited(status: 3, oomKilled: false) && b == .exited(status: 3, oomKilled: false))
    }

    /// Counts how many times each responder is called.
    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [Int: Int] = [:]
        func record(_ id: Int) { lock.withLock { counts[id, default: 0] += 1 } }
        func count(_ id: Int) -> Int { lock.withLock { counts[id, default: 0] } }
    }

    @Test("invocation/next racing the environment's end is answered exactly once, whichever wins (20000 races)")
    func nextRacingEndAnswersOnce() {
        let answers = Answers()
        var nilAnswers = 0
        for round in 0..<20_000 {
            let session = RuntimeSession()
            let got = LockedFlag()
            DispatchQueue.concurrentPerform(iterations: 2) { side in
                if side == 0 {
                    session.next { invocation in
                        answers.record(round)
                        if invocation == nil { got.set() }
                    }
                } else {
                    session.end(.timedOut)
                }
            }
            if got.isSet { nilAnswers += 1 }
            #expect(answers.count(round) == 1, "round \(round): answered \(answers.count(round)) times")
            if answers.count(round) != 1 { break }
        }
        // Oracle: every round's one answer is the "going away" one, so the count above counts real answers.
        #expect(nilAnswers == 20_000)
    }

    @Test("a second invocation/next while one is parked: the first is answered nil, the second gets the invocation")
    func secondNextReplacesTheParkedOne() async {
        let session = RuntimeSession()
        let answers = Answers()
        let invocation = Invocation(requestID: "r1", payload: [], deadlineMs: 0, invokedFunctionArn: "arn", traceID: "t", clientContext: nil)
        let delivered = LockedFlag()
        session.next { got in answers.record(1); if got != nil { Issue.record("the replaced request got the invocation") } }
        session.next { got in answers.record(2); if got?.requestID == "r1" { delivered.set() } }
        #expect(answers.count(1) == 1 && answers.count(2) == 0)
        async let outcome = session.invoke(invocation)
        for _ in 0..<200 where !delivered.isSet { try? await Task.sleep(nanoseconds: 5_000_000) }
        #expect(delivered.isSet && answers.count(2) == 1)
        _ = session.finish(requestID: "r1", with: .response([]))
        #expect(await outcome == .response([]))
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
