import CorralRuntime
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
}
