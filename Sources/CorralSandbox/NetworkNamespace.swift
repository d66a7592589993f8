import CCorral
import CorralSystem

/// A network namespace holding only `lo` (up), made by the caller before a launch so it can open sockets
/// inside it first: the Runtime API's listener lives in the sandbox's own namespace, reachable from inside
/// on 127.0.0.1 and from the supervisor through the socket it already holds. Pass it to
/// `SandboxLauncher.launch(_:stdio:networkNamespace:)`. Closes its fd when released.
public final class NetworkNamespace: @unchecked Sendable {
    public let fd: Int32
    let hostNamespace: Int32

    init(fd: Int32, hostNamespace: Int32) {
        self.fd = fd
        self.hostNamespace = hostNamespace
    }

    deinit { FileDescriptor.close(fd) }

    /// A TCP socket listening on 127.0.0.1:`port` inside this namespace (non-blocking, CLOEXEC). The caller
    /// owns the fd.
    public func listenTCP(port: UInt16) throws(SystemError) -> Int32 {
        try syscall("listen on 127.0.0.1:\(port) in a sandbox network namespace") {
            corral_tcp_listen_in_netns(fd, hostNamespace, port)
        }
    }
}

extension SandboxLauncher {
    /// A new network namespace with `lo` up (from the pool when one is ready).
    public func makeNetworkNamespace() throws(SandboxError) -> NetworkNamespace {
        if let fd = networkNamespaces?.take() {
            networkNamespaces?.replenish()
            return NetworkNamespace(fd: fd, hostNamespace: hostNetworkNamespace)
        }
        do {
            let fd = try syscall("create a network namespace") { corral_netns_create(hostNetworkNamespace) }
            return NetworkNamespace(fd: fd, hostNamespace: hostNetworkNamespace)
        } catch {
            throw .host(error)
        }
    }
}
