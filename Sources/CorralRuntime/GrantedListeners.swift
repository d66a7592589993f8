import CorralEgress
import CorralSandbox
import CorralSystem
import Foundation
import Logging
import NIOCore

/// The listeners an execution role adds inside a sandbox's network namespace, next to the Runtime API:
/// the egress proxy (127.0.0.1:3128, HTTP_PROXY and HTTPS_PROXY) when the role grants net:Connect, and
/// the Lambda endpoint (127.0.0.1:9002, AWS_ENDPOINT_URL_LAMBDA, forwarded to Corral's API) when it
/// grants lambda:InvokeFunction. The sockets listen before the sandbox starts; SwiftNIO adopts them after.
final class GrantedListeners: @unchecked Sendable {
    /// Variables telling the function where the listeners are.
    let environment: [String]
    private var proxySocket: Int32?
    private var lambdaSocket: Int32?
    private var channels: [any Channel] = []
    private var closed = false
    private let lock = NSLock()

    init(_ grants: EnvironmentGrants, in namespace: NetworkNamespace) throws {
        var environment: [String] = []
        if grants.egress != nil {
            let socket = try namespace.listenTCP(port: GrantedPlaces.proxy)
            proxySocket = socket
            let url = "http://127.0.0.1:\(GrantedPlaces.proxy)"
            // Both spellings: curl and Go read the lowercase ones, botocore and Node's clients either.
            environment += ["HTTP_PROXY=\(url)", "HTTPS_PROXY=\(url)", "http_proxy=\(url)", "https_proxy=\(url)",
                            "NO_PROXY=localhost,127.0.0.1", "no_proxy=localhost,127.0.0.1"]
        }
        if grants.lambdaEndpoint != nil {
            do {
                lambdaSocket = try namespace.listenTCP(port: GrantedPlaces.lambda)
            } catch {
                proxySocket.map { FileDescriptor.close($0) }
                throw error
            }
            environment.append("AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:\(GrantedPlaces.lambda)")
        }
        self.environment = environment
    }

    /// Starts serving on the sockets (once the sandbox is launched).
    func start(_ grants: EnvironmentGrants, group: any EventLoopGroup, logger: Logger) async throws {
        if let socket = lock.withLock({ () -> Int32? in defer { proxySocket = nil }; return proxySocket }), let policy = grants.egress {
            keep(try await EgressProxy.start(listeningSocket: socket, policy: policy, group: group, logger: logger,
                                             limits: .init(maxConnections: ListenerLimits.egressConnections)))
        }
        if let socket = lock.withLock({ () -> Int32? in defer { lambdaSocket = nil }; return lambdaSocket }), let endpoint = grants.lambdaEndpoint {
            keep(try await TCPForwarder.start(listeningSocket: socket, to: endpoint, group: group, logger: logger,
                                              maxConnections: ListenerLimits.lambdaConnections))
        }
    }

    /// Keeps a started listener, or closes it when the listeners were closed meanwhile (the sandbox ended).
    private func keep(_ channel: any Channel) {
        let kept = lock.withLock { () -> Bool in
            guard !closed else { return false }
            channels.append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    /// Stops the listeners (and the proxy's open connections); sockets never adopted are closed.
    func close() {
        let (sockets, open) = lock.withLock { () -> ([Int32], [any Channel]) in
            defer { proxySocket = nil; lambdaSocket = nil; channels = []; closed = true }
            return ([proxySocket, lambdaSocket].compactMap { $0 }, channels)
        }
        for socket in sockets { FileDescriptor.close(socket) }
        for channel in open { channel.close(promise: nil) }
    }
}
