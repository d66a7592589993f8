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

    public func registerMetrics<Context: RequestContext>(on router: Router<Context>) {
        router.get("metrics") { _, _ in
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
}
