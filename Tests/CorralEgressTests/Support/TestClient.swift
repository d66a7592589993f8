import Glibc

/// A blocking TCP client for the tests, speaking raw bytes to the proxy. Reads time out (a few seconds), so a
/// proxy that misbehaves fails a test instead of hanging it.
final class TestClient {
    enum Failure: Error, Equatable {
        case socket(String, Int32)
        case timedOut
        case endedBefore(String)
        case malformed(String)
    }

    let fd: Int32
    private var buffered: [UInt8] = []

    init(host: String = "127.0.0.1", port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.socket("socket", errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = try Self.address(host, port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw Failure.socket("connect", error)
        }
    }

    deinit { Glibc.close(fd) }

    static func address(_ host: String, _ port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure.socket("inet_pton", EINVAL) }
        return address
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw errno == EAGAIN ? Failure.timedOut : Failure.socket("send", errno) }
            offset += sent
        }
    }

    /// Ends the client's sending side (the peer reads EOF); reading goes on.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next bytes (what was buffered first); empty at EOF.
    func read() throws -> [UInt8] {
        if !buffered.isEmpty {
            defer { buffered = [] }
            return buffered
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        var count = -1
        repeat {
            count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while count < 0 && errno == EINTR
        if count < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timedOut : Failure.socket("recv", errno) }
        return Array(chunk[..<count])
    }

    /// Everything up to and including `marker`; what follows stays buffered.
    func read(through marker: String) throws -> String {
        let marker = Array(marker.utf8)
        var data: [UInt8] = []
        while true {
            if let end = Self.find(marker, in: data) {
                buffered = Array(data[(end + marker.count)...]) + buffered
                return String(decoding: data[..<(end + marker.count)], as: UTF8.self)
            }
            let chunk = try read()
            guard !chunk.isEmpty else { throw Failure.endedBefore(String(decoding: marker, as: UTF8.self)) }
            data += chunk
        }
    }

    /// Exactly `count` bytes.
    func read(count: Int) throws -> [UInt8] {
        var data: [UInt8] = []
        while data.count < count {
            let chunk = try read()
            guard !chunk.isEmpty else { throw Failure.endedBefore("\(count) bytes") }
            data += chunk
        }
        buffered = Array(data[count...]) + buffered
        return Array(data[..<count])
    }

    /// Everything until the peer closes.
    func readToEnd() throws -> [UInt8] {
        var data: [UInt8] = []
        while true {
            let chunk = try read()
            if chunk.isEmpty { return data }
            data += chunk
        }
    }

    /// One HTTP/1.1 response: status line, headers, and the body framed by Content-Length, chunked encoding
    /// or the end of the connection.
    func readResponse() throws -> TestResponse {
        let response = try readHead()
        let (status, headers) = (response.status, response.headers)
        if let length = response.header("content-length").flatMap({ Int($0) }) {
            return TestResponse(status: status, headers: headers, body: try read(count: length))
        }
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            var body: [UInt8] = []
            while true {
                // "\r\n" is one Character in Swift.
                let sizeLine = try read(through: "\r\n").dropLast()
                guard let sizeText = sizeLine.split(separator: ";").first, let size = Int(sizeText, radix: 16) else {
                    throw Failure.malformed("chunk size line \"\(sizeLine)\" after \(body.count) body bytes")
                }
                if size == 0 {
                    _ = try read(through: "\r\n")
                    return TestResponse(status: status, headers: headers, body: body)
                }
                body += try read(count: size)
                _ = try read(count: 2)
            }
        }
        return TestResponse(status: status, headers: headers, body: try readToEnd())
    }

    /// The status line and headers of a response, without its body (what a CONNECT's 200 is).
    func readHead() throws -> TestResponse {
        let head = try read(through: "\r\n\r\n")
        var lines = head.split(separator: "\r\n").map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), String(line[line.index(after: colon)...].drop(while: { $0 == " " })))
        }
        return TestResponse(status: status, headers: headers, body: [])
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// A response as `TestClient` read it.
struct TestResponse {
    let status: Int
    let headers: [(String, String)]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.0 == name.lowercased() }?.1
    }
}
