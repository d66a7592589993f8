import Hummingbird
import NIOCore

/// `GET /corral/caller`: who the signature says the caller is, in the shape of STS GetCallerIdentity
/// (`{"Account": "...", "Arn": "...", "UserId": "..."}`). The CLI uses it to write role ARNs in the
/// caller's account.
public enum CallerRoute {
    public static func register<Context: RequestContext>(on router: Router<Context>, authenticate: @escaping Authenticate) {
        router.get("corral/caller") { request, _ in
            var request = request
            let caller = try await authenticate(&request)
            let body = LambdaJSON.encode(["Account": caller.account, "Arn": caller.principalARN, "UserId": caller.accessKeyID ?? caller.account])
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
