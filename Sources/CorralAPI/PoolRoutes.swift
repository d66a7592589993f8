import CorralMetrics
import CorralRuntime
import Foundation
import Hummingbird

/// The warm pool seen from outside: GET /corral/status (JSON, what `corral status` shows) and GET /metrics
/// (Prometheus text), which may live on the API's listener or one of its own.
public struct PoolRoutes: Sendable {
    let invoker: Invoker
    let metrics: CorralMetrics

    public init(invoker: Invoker, metrics: CorralMetrics) {
        self.invoker = invoker
        self.metrics = metrics
    }

    /// GET /corral/status, for signed requests: the operator's account (the admin tenant) sees every
    /// tenant's functions, any other account only its own; both see the host's capacity.
    public func registerStatus<Context: RequestContext>(on router: Router<Context>, operatorAccount: String, authenticate: @escaping Authenticate) {
        router.get("corral/status") { request, _ in
            var request = request
            let caller = try await authenticate(&request)
            var snapshot = await invoker.snapshot()
            if caller.account != operatorAccount {
                snapshot.functions = snapshot.functions.filter { $0.account == caller.account }
                snapshot.supervisorResidentMB = nil
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: LambdaJSON.encode(snapshot))))
        }
    }

    /// GET /metrics on the API's listener: signed by the operator's account (the admin tenant) only, since
    /// it names every tenant's account and functions. Any other account gets 403 AccessDeniedException.
    public func registerMetrics<Context: RequestContext>(on router: Router<Context>, operatorAccount: String, authenticate: @escaping Authenticate) {
        router.get("metrics") { request, _ in
            var request = request
            let caller = try await authenticate(&request)
            guard caller.account == operatorAccount else {
                throw LambdaError(status: 403, type: "AccessDeniedException",
                                  message: "User: \(caller.principalARN) is not authorized to perform: corral:GetMetrics on resource: * because only the operator's account reads the server's metrics")
            }
            return await renderMetrics()
        }
    }

    /// GET /metrics unauthenticated, for a listener of its own (the `metrics: HOST:PORT` setting, loopback
    /// only, which no sandbox's egress reaches).
    public func registerMetrics<Context: RequestContext>(on router: Router<Context>) {
        router.get("metrics") { _, _ in await renderMetrics() }
    }

    private func renderMetrics() async -> Response {
            let snapshot = await invoker.snapshot()
            var rows: [CorralMetrics.EnvironmentCount] = []
            for f in snapshot.functions {
                for (state, count) in [("creating", f.creating), ("ready", f.ready), ("busy", f.busy), ("draining", f.draining), ("provisioned", f.provisioned)] {
                    rows.append(.init(account: f.account, function: f.function, state: state, count: count))
                }
            }
            metrics.updatePool(environments: rows, memoryUsedMB: snapshot.memoryUsedMB, memoryBudgetMB: snapshot.memoryBudgetMB,
                               environmentBudget: snapshot.environmentBudget, waiting: snapshot.waiting)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }
}
