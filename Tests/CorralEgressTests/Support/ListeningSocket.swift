import Glibc

/// A TCP socket bound to `host`:0 and listening (non-blocking, CLOEXEC), as NetworkNamespace.listenTCP makes
/// one inside a sandbox: what the tests hand to EgressProxy.start. Returns the fd and the port it got.
func makeListeningSocket(host: String = "127.0.0.1", backlog: Int32 = 128) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TestClient.Failure.socket("socket", errno) }
    var address = try TestClient.address(host, 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, backlog) == 0 else {
        let error = errno
        close(fd)
        throw TestClient.Failure.socket("bind/listen", error)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A port on 127.0.0.1 where nothing listens (bound once, then closed).
func unusedPort() throws -> Int {
    let (fd, port) = try makeListeningSocket()
    close(fd)
    return port
}
