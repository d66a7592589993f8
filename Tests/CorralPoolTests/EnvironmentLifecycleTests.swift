import CorralPool
import Testing

@Suite struct EnvironmentLifecycleTests {
    typealias L = EnvironmentLifecycle
    static let events: [L.Event] = [.initialized, .failed, .assigned, .finished, .crashed, .drain, .evicted, .tick]

    /// Drives a fresh machine into `state` (reuse mode unless given).
    static func machine(in state: L.State, policy: L.Policy = L.Policy(idleTimeout: 100, maxLifetime: 1000)) throws -> L {
        var m = L(policy: policy, now: 0)
        switch state {
        case .creating: break
        case .ready: try m.handle(.initialized, now: 1)
        case .busy: try m.handle(.initialized, now: 1); try m.handle(.assigned, now: 2)
        case .draining: try m.handle(.initialized, now: 1); try m.handle(.assigned, now: 2); try m.handle(.drain, now: 3)
        case .gone: try m.handle(.failed, now: 1)
        }
        #expect(m.state == state)
        return m
    }

    /// Every (state, event) pair, at a time before any timeout: the whole table.
    @Test("the transition table, every state against every event")
    func table() throws {
        let expected: [L.State: [L.Event: (L.State, [L.Action])?]] = [
            .creating: [.initialized: (.ready, [.offer]), .failed: (.gone, [.destroy]), .assigned: nil, .finished: nil,
                        .crashed: (.gone, [.destroy]), .drain: (.gone, [.destroy]), .evicted: nil, .tick: (.creating, [])],
            .ready: [.initialized: nil, .failed: nil, .assigned: (.busy, []), .finished: nil, .crashed: (.gone, [.destroy]),
                     .drain: (.gone, [.destroy]), .evicted: (.gone, [.destroy]), .tick: (.ready, [])],
            .busy: [.initialized: nil, .failed: nil, .assigned: nil, .finished: (.ready, [.offer]), .crashed: (.gone, [.destroy]),
                    .drain: (.draining, []), .evicted: nil, .tick: (.busy, [])],
            .draining: [.initialized: nil, .failed: nil, .assigned: nil, .finished: (.gone, [.destroy]), .crashed: (.gone, [.destroy]),
                        .drain: (.draining, []), .evicted: nil, .tick: (.draining, [])],
            .gone: Dictionary(uniqueKeysWithValues: Self.events.map { ($0, (.gone, [])) }),
        ]
        for state in L.State.allCases {
            for event in Self.events {
                var m = try Self.machine(in: state)
                let before = m
                let outcome = expected[state]![event]!
                do {
                    let actions = try m.handle(event, now: 10)
                    #expect(outcome != nil, "\(state) + \(event) should be refused")
                    #expect(m.state == outcome?.0 && actions == outcome?.1, "\(state) + \(event)")
                } catch {
                    #expect(outcome == nil, "\(state) + \(event) was refused: \(error)")
                    #expect(m == before, "a refused event changes nothing")
                }
            }
        }
    }

    @Test("fresh mode: an environment serves exactly one invocation")
    func freshMode() throws {
        var m = try Self.machine(in: .busy, policy: L.Policy(mode: .fresh))
        #expect(try m.handle(.finished, now: 5) == [.destroy])
        #expect(m.state == .gone && m.invocations == 1)
    }

    @Test("reuse: many invocations, one at a time")
    func reuse() throws {
        var m = try Self.machine(in: .ready)
        for i in 1...5 {
            try m.handle(.assigned, now: Double(i))
            #expect(throws: L.Refusal.self) { try m.handle(.assigned, now: Double(i)) }
            #expect(try m.handle(.finished, now: Double(i)) == [.offer])
        }
        #expect(m.invocations == 5 && m.state == .ready)
    }

    @Test("idle timeout counts from the last time it became ready; busy time does not count")
    func idleTimeout() throws {
        var m = try Self.machine(in: .ready, policy: L.Policy(idleTimeout: 100, maxLifetime: nil))
        #expect(try m.handle(.tick, now: 100.9) == [])          // ready since 1
        try m.handle(.assigned, now: 50)
        #expect(try m.handle(.tick, now: 500) == [])            // busy: no idle timeout
        try m.handle(.finished, now: 500)
        #expect(try m.handle(.tick, now: 599) == [])
        #expect(try m.handle(.tick, now: 600) == [.destroy])
        #expect(m.state == .gone)
        var kept = try Self.machine(in: .ready, policy: L.Policy(idleTimeout: nil, maxLifetime: nil))
        #expect(try kept.handle(.tick, now: 1e9) == [], "no idle timeout: kept (provisioned)")
    }

    @Test("maximum lifetime: an idle one goes at the tick, a busy one finishes its invocation first")
    func maxLifetime() throws {
        var idle = try Self.machine(in: .ready, policy: L.Policy(idleTimeout: nil, maxLifetime: 1000))
        #expect(try idle.handle(.tick, now: 999) == [])
        #expect(try idle.handle(.tick, now: 1000) == [.destroy])
        var busy = try Self.machine(in: .busy, policy: L.Policy(idleTimeout: nil, maxLifetime: 1000))
        #expect(try busy.handle(.tick, now: 2000) == [] && busy.state == .busy)
        #expect(try busy.handle(.finished, now: 2000) == [.destroy])
        var late = L(policy: L.Policy(maxLifetime: 10), now: 0)
        #expect(try late.handle(.initialized, now: 11) == [.destroy], "too old by the time it initialized")
    }

    @Test("gone is final, whatever comes")
    func goneIsAbsorbing() throws {
        for start in L.State.allCases {
            var m = try Self.machine(in: start)
            _ = try? m.handle(.crashed, now: 5)
            #expect(m.state == .gone)
            for event in Self.events {
                #expect(try m.handle(event, now: 6) == [])
                #expect(m.state == .gone)
            }
        }
    }
}
