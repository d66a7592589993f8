import CorralFunctions
import CorralPolicy
import CorralRuntime
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The Lambda API's paths (2015-03-31) on a Hummingbird router. Every operation is a row of one table
/// (LambdaRoutes+Operations.swift: method, path, IAM action, what it acts on, handler), registered through
/// one path that authenticates and authorizes it first (LambdaRoutes+Authorization.swift): no route can
/// forget to. Only GET /corral/ping and the code locations (their own signature) are outside the table.
public struct LambdaRoutes: Sendable {
    let service: LambdaService
    /// Who the request acts as: authenticates it (reading its body, which stays readable) and returns
    /// the caller, or throws the Lambda error that refuses it (see Authenticator).
    let authenticate: Authenticate
    let codeDirectory: String
    /// Function logs, for GET /corral/functions/NAME/logs (nil: no log route).
    let logs: FunctionLogs?

    /// Control-plane bodies carry a base64 zip: 50 MB of zip is about 67 MB of base64.
    public static let controlBodyLimit = 70 << 20

    /// Decides whether the caller may perform each operation (nil: every authenticated caller may do
    /// anything in its own account; route tests use that).
    let authorizer: Authorizer?

    /// Whether an access key is still active (a code location stops working when its key is revoked).
    let keyIsActive: @Sendable (String) -> Bool

    public init(service: LambdaService, logs: FunctionLogs? = nil, authorizer: Authorizer? = nil, authenticate: @escaping Authenticate,
                keyIsActive: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.keyIsActive = keyIsActive
        self.service = service
        self.authorizer = authorizer
        self.authenticate = authenticate
        self.codeDirectory = service.code.root
        self.logs = logs
    }

    public func register<Context: RequestContext>(on router: Router<Context>, logger: Logger) {
        router.add(middleware: LambdaErrorMiddleware<Context>(logger: logger))
        for operation in operations() {
            router.on(RouterPath(operation.path), method: operation.method) { request, context in
                try await operation.handle(authorized(operation, request, context))
            }
        }
        // Liveness, and the floor `corral bench invoke` compares invocations with: the same server, middleware
        // and connection, no work.
        router.get("corral/ping") { _, _ in
            Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
        }
        // GetFunction's Code.Location: the stored zip, for a signed, unexpired location whose key is still
        // active and whose account uses the package (CodeURLSigner). Refusals are S3's, as AWS's URL is S3's.
        router.get("corral/code/:account/:file") { request, context in
            let account = try parameter(context, "account"), file = try parameter(context, "file")
            let digest = file.hasSuffix(".zip") ? String(file.dropLast(4)) : file
            let query = request.uri.queryParameters
            do throws(CodeURLSigner.Refusal) {
                let credential = try service.codeURLs.verify(account: account, digest: digest, credential: query.get("X-Corral-Credential"),
                                                             expires: query.get("X-Corral-Expires"), signature: query.get("X-Corral-Signature"))
                guard keyIsActive(credential) else { throw CodeURLSigner.Refusal.badSignature }
            } catch {
                return Self.s3Error(.forbidden, code: "AccessDenied", message: error.message)
            }
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit),
                  (try? service.functions.accountUsesCode(account: account, digest: digest)) == true,
                  let bytes = FileManager.default.contents(atPath: codeDirectory + "/" + digest + ".zip") else {
                return Self.s3Error(.notFound, code: "NoSuchKey", message: "The specified key does not exist.")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/zip"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// S3's error document, which is what a client fetching a Lambda code location gets from AWS.
    static func s3Error(_ status: HTTPResponse.Status, code: String, message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml"
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    func body(_ request: Request, limit: Int = controlBodyLimit) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: limit)
        return Array(buffer.readableBytesView)
    }

    /// A path parameter, percent-decoded (boto3 sends `:` in ARNs as `%3A`).
    private func parameter<Context: RequestContext>(_ context: Context, _ key: String) throws -> String {
        try Self.parameter(context.parameters, key)
    }

    static func parameter(_ parameters: Parameters, _ key: String) throws -> String {
        let raw = try parameters.require(key)
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let decoded = raw.removingPercentEncoding else { throw LambdaError.invalidParameter("\(key) is not valid percent-encoding") }
        return decoded
    }

    func json(_ status: Int, _ value: some Encodable) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: LambdaJSON.encode(value))))
    }
}
