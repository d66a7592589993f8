import Foundation
import Testing

extension PrivilegedSandboxTests {
    @Suite struct Network {
        /// Lists the interfaces, then connects to a listener on 127.0.0.1.
        static let probe = """
        import socket
        names = [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]
        print('interfaces=' + ','.join(sorted(names)))
        try:
            srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
            cli = socket.create_connection(srv.getsockname(), timeout=5)
            conn, _ = srv.accept(); conn.sendall(b'hi')
            print('loopback=' + cli.recv(2).decode())
        except OSError as e:
            print('loopback=errno%d' % e.errno)
        """

        @Test("only lo exists, and it is up: a listener on 127.0.0.1 accepts a connection")
        func onlyLoopback() throws {
            try privileged {
                let inside = try Corral.python([], Self.probe)
                #expect(inside.status == 0, "\(inside)")
                #expect(inside.values["interfaces"] == "lo", "\(inside)")
                #expect(inside.values["loopback"] == "hi", "\(inside)")

                // Oracle: in a fresh network namespace holding a second interface (veth, or dummy where veth is missing), whose lo nobody brought
                // up, the same probe sees both interfaces and fails to connect (the host itself may have only lo).
                let oracle = try Host.run(["/usr/bin/unshare", "--net", "/bin/sh", "-c",
                                           "{ ip link add corral0 type veth peer name corral1 || ip link add corral0 type dummy; } 2>/dev/null && exec \"$0\" -c \"$1\"", Corral.python, Self.probe])
                #expect(oracle.values["interfaces"]?.hasPrefix("corral0,") == true, "\(oracle)")
                #expect(oracle.values["loopback"]?.hasPrefix("errno") == true, "\(oracle)")
            }
        }
    }
}
