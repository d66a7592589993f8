@testable import CorralRuntime
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The Runtime API's bounds on one connection (ListenerLimits), on an embedded event loop whose clock the
/// test moves: a request must arrive whole in time, a parked invocation/next is not timed, one large body
/// at a time, no body where the route takes none.
@Suite struct RuntimeAPILimitsTests {
    private func connection(_ session: RuntimeSession = RuntimeSession(), slot: LargeBodySlot = LargeBodySlot(),
                            loop: EmbeddedEventLoop = EmbeddedEventLoop()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
        try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(session: session, largeBody: slot))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9001)).wait()
        return channel
    }

    /// Everything written back so far, as text.
    private func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func aConnectionThatSendsNothingClosesAtTheRequestTimeout() throws {
        let channel = try connection()
        channel.embeddedEventLoop.advanceTime(by: ListenerLimits.runtimeRequestTimeout - .seconds(1))
        #expect(channel.isActive, "not before the timeout")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aHeadThatNeverEndsClosesAtTheRequestTimeout() throws {
        let channel = try connection()
        try channel.writeInbound(ByteBuffer(string: "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: x\r\nX-Slow: a"))
        channel.embeddedEventLoop.advanceTime(by: ListenerLimits.runtimeRequestTimeout + .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func aParkedNextIsNotTimedAndTheNextRequestIsTimedFromItsAnswer() throws {
        let session = RuntimeSession()
        let channel = try connection(session)
        try channel.writeInbound(ByteBuffer(string: "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"))
        channel.embeddedEventLoop.advanceTime(by: ListenerLimits.runtimeRequestTimeout * 3)
        #expect(channel.isActive, "a parked next waits as long as it takes")
        #expect(try written(channel).isEmpty)
        session.end(.exited(status: 0, oomKilled: false))
        // The shutdown answer closes (Connection: close): the oracle that the connection was live until then.
        #expect(try written(channel).contains("500"))
    }

    @Test func aSecondLargeBodyAtOnceGets429AndTheSlotFreesWhenTheFirstEnds() throws {
        let slot = LargeBodySlot()
        let loop = EmbeddedEventLoop()
        let first = try connection(slot: slot, loop: loop), second = try connection(slot: slot, loop: loop)
        let size = ListenerLimits.smallBodyBytes * 2
        let head = "POST /2018-06-01/runtime/invocation/none/response HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n"
        let half = String(repeating: "a", count: size / 2 + 1)
        try first.writeInbound(ByteBuffer(string: head + half))
        #expect(try written(first).isEmpty, "the first large body holds the slot")
        // The refusal closes mid-body; the decoder then reports the cut-off request, as it does on a socket.
        _ = try? second.writeInbound(ByteBuffer(string: head + half))
        let refused = try written(second)
        #expect(refused.hasPrefix("HTTP/1.1 429") && refused.contains("TooManyRequests"), "\(refused)")
        // The first body ends: its answer (no such invocation) comes, and the slot is free again.
        try first.writeInbound(ByteBuffer(string: String(repeating: "a", count: size - half.count)))
        #expect(try written(first).hasPrefix("HTTP/1.1 "), "the first request was answered")
        let third = try connection(slot: slot, loop: loop)
        try third.writeInbound(ByteBuffer(string: head + half))
        #expect(try written(third).isEmpty, "the slot was given back")
    }

    @Test func aBodyOnARouteThatTakesNoneIsRefusedAtItsHead() throws {
        let channel = try connection()
        _ = try? channel.writeInbound(ByteBuffer(string: "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nContent-Length: 6000000\r\n\r\nabc"))
        let answer = try written(channel)
        #expect(answer.hasPrefix("HTTP/1.1 400") && answer.contains("takes no request body"), "\(answer)")
        #expect(!channel.isActive, "the connection closes without reading the body")
        // The oracle: the same route without a body parks (no answer yet).
        let plain = try connection()
        try plain.writeInbound(ByteBuffer(string: "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try written(plain).isEmpty && plain.isActive)
    }
}
