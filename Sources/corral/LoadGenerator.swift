import CorralSystem
import Foundation

/// The throughput part of `corral bench invoke`: a load generator in the manner of wrk. Each connection is
/// one thread with a blocking keep-alive TCP socket that sends the same prepared request over and over
/// and reads each response (status line, headers, a Content-Length body) before the next.
///
/// Why not AsyncHTTPClient, which the rest of the bench uses: the client runs on the same two cores as the
/// server, and AsyncHTTPClient's per-request work (about a fifth of all CPU at 8 connections) is taken from
/// the server being measured. This generator costs about a fifth as much (50 against 250 us of CPU per
/// request, measured against a server in another process). It speaks only what the
/// bench needs: one fixed request, responses with Content-Length; anything else is an error.
struct LoadGenerator {
    enum Failure: Error, CustomStringConvertible {
        case connect(String)
        case io(String)
        case response(String)

        var description: String {
            switch self {
            case let .connect(text): "load generator: cannot connect: \(text)"
            case let .io(text): "load generator: \(text)"
            case let .response(text): "load generator: unexpected response: \(text)"
            }
        }
    }

    let port: UInt16
    /// The whole request, head and body, sent as is.
    let request: [UInt8]

    /// A POST of `body` to `path` on 127.0.0.1:`port`, with `headers` added.
    init(port: UInt16, method: String = "POST", path: String, body: [UInt8], headers: [(String, String)] = []) {
        self.port = port
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        request = Array((head + "\r\n").utf8) + body
    }

    /// Sends requests on `connections` connections until `seconds` have passed; returns the number of 2xx
    /// responses. Any failure on any connection ends the run with that failure.
    func run(connections: Int, seconds: Double) throws -> Int {
        let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
        let results = ResultBox(count: connections)
        let done = DispatchGroup()
        for index in 0..<connections {
            done.enter()
            let thread = Thread {
                results.set(index, Result { try self.connection(until: deadline) })
                done.leave()
            }
            thread.name = "corral-bench-load-\(index)"
            thread.start()
        }
        done.wait()
        return try results.values.reduce(0) { try $0 + $1.get() }
    }

    private func connection(until deadline: UInt64) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect(String(cString: strerror(errno))) }
        defer { FileDescriptor.close(fd) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure.connect(String(cString: strerror(errno))) }

        var buffer = [UInt8](repeating: 0, count: 65536)
        var count = 0
        while MonotonicClock.now() < deadline {
            do {
                try request.withUnsafeBytes { try FileDescriptor.writeAll(fd, $0) }
            } catch {
                throw Failure.io("\(error)")
            }
            try readResponse(fd, &buffer)
            count += 1
        }
        return count
    }

    /// Reads one whole response; throws unless it is 2xx with a Content-Length body.
    private func readResponse(_ fd: Int32, _ buffer: inout [UInt8]) throws {
        var filled = 0
        var headEnd: Int?
        var total: Int?
        while total.map({ filled < $0 }) ?? true {
            if filled == buffer.count { throw Failure.response("more than \(buffer.count) bytes") }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Failure.io(n == 0 ? "the server closed the connection" : String(cString: strerror(errno))) }
            filled += n
            if headEnd == nil, let end = Self.headEnd(buffer, filled) {
                headEnd = end
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                let status = head.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
                guard (200..<300).contains(status) else { throw Failure.response(head.prefix { $0 != "\r" } + "") }
                guard let length = Self.contentLength(head) else { throw Failure.response("no Content-Length") }
                total = end + length
            }
        }
        guard filled == total else { throw Failure.response("bytes after the response (pipelined replies are not expected)") }
    }

    /// The index just past the blank line ending the head, if it has arrived.
    static func headEnd(_ bytes: [UInt8], _ count: Int) -> Int? {
        guard count >= 4 else { return nil }
        for index in 3..<count where bytes[index] == 0x0a && bytes[index - 1] == 0x0d && bytes[index - 2] == 0x0a && bytes[index - 3] == 0x0d {
            return index + 1
        }
        return nil
    }

    static func contentLength(_ head: String) -> Int? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }
}

/// Per-connection results, each written by its own thread and read after all have finished.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<Int, any Error>]
    init(count: Int) { results = Array(repeating: .success(0), count: count) }
    func set(_ index: Int, _ result: Result<Int, any Error>) { lock.withLock { results[index] = result } }
    var values: [Result<Int, any Error>] { lock.withLock { results } }
}
