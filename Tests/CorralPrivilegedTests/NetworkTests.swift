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

                // Oracle: the host has more than lo; and a fresh network namespace whose lo nobody brought up
                // fails the same connection probe.
                let host = try Host.python(Self.probe)
                #expect(host.values["interfaces"].map { $0.split(separator: ",").count > 1 } == true, "\(host)")
                let downLo = try Host.run(["/usr/bin/unshare", "--net", Corral.python, "-c", Self.probe])
                #expect(downLo.values["interfaces"] == "lo", "\(downLo)")
                #expect(downLo.values["loopback"]?.hasPrefix("errno") == true, "\(downLo)")
            }
        }
    }
}
