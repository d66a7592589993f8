import CorralFunctions
import CorralPolicy
import CorralRuntime
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The Lambda API's paths (2015-03-31) on a Hummingbird router: each route reads the path, query and body,
/// calls LambdaService, and writes the status and JSON Lambda answers with.
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
        let functions = router.group("2015-03-31/functions")
        functions.post { request, context in
            var request = request
            let caller = try await authenticate(&request).at(context)
            let bytes = try await body(request)
            // On the function it would create; a body without a readable name is refused by the service.
            try authorizeInOwnAccount(caller, "lambda:CreateFunction", function: createdName(bytes))
            return try await json(201, service.createFunction(caller, bytes))
        }
        functions.get { request, context in
            var request = request
            let caller = try await authenticate(&request).at(context)
            try authorizeInOwnAccount(caller, "lambda:ListFunctions")
            let query = request.uri.queryParameters
            return try json(200, service.listFunctions(caller, marker: query.get("Marker"), maxItems: query.get("MaxItems")))
        }
        functions.get(":name") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:GetFunction", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            return try json(200, service.getFunction(caller, name(context), qualifier: request.uri.queryParameters.get("Qualifier")))
        }
        functions.delete(":name") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:DeleteFunction", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            try await service.deleteFunction(caller, name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            return Response(status: .noContent)
        }
        functions.get(":name/configuration") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:GetFunctionConfiguration", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            return try json(200, service.getFunctionConfiguration(caller, name(context), qualifier: request.uri.queryParameters.get("Qualifier")))
        }
        // Corral's own: the sandbox the function's execution role compiles to (`corral policy effective`).
        router.get("corral/functions/:name/sandbox") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:GetFunctionConfiguration", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            return try json(200, service.effectiveSandbox(caller, name(context), qualifier: request.uri.queryParameters.get("Qualifier")))
        }
        functions.put(":name/configuration") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:UpdateFunctionConfiguration", function: try name(context), qualifier: nil)
            return try await json(200, service.updateFunctionConfiguration(caller, name(context), body(request)))
        }
        functions.put(":name/code") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:UpdateFunctionCode", function: try name(context), qualifier: nil)
            return try await json(200, service.updateFunctionCode(caller, name(context), body(request)))
        }
        functions.post(":name/invocations") { request, context in
            var request = request
            let caller = try await authenticate(&request).at(context)
            // Another account's function, named by its ARN, runs there if its resource policy allows.
            let owner = try authorize(caller, "lambda:InvokeFunction", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            let headers = request.headers
            let payload = try await body(request, limit: invocationPayloadLimit + 1)
            let reply = try await service.invoke(owner, name(context), qualifier: request.uri.queryParameters.get("Qualifier"),
                                                 invocationType: headers[LambdaHeaders.invocationType], logType: headers[LambdaHeaders.logType],
                                                 clientContext: headers[LambdaHeaders.clientContext], payload: payload)
            var fields = HTTPFields()
            for (name, value) in reply.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
            if let id = reply.requestID { fields[LambdaHeaders.requestID] = id }
            return Response(status: .init(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        functions.post(":name/versions") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:PublishVersion", function: try name(context), qualifier: nil)
            return try await json(201, service.publishVersion(caller, name(context), body(request)))
        }
        functions.get(":name/versions") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:ListVersionsByFunction", function: try name(context), qualifier: nil)
            let query = request.uri.queryParameters
            return try json(200, service.listVersions(caller, name(context), marker: query.get("Marker"), maxItems: query.get("MaxItems")))
        }
        functions.post(":name/aliases") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:CreateAlias", function: try name(context), qualifier: nil)
            return try await json(201, service.createAlias(caller, name(context), body(request)))
        }
        functions.get(":name/aliases") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:ListAliases", function: try name(context), qualifier: nil)
            let query = request.uri.queryParameters
            return try json(200, service.listAliases(caller, name(context), functionVersion: query.get("FunctionVersion"),
                                                     marker: query.get("Marker"), maxItems: query.get("MaxItems")))
        }
        functions.get(":name/aliases/:alias") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:GetAlias", function: try name(context), qualifier: try parameter(context, "alias"))
            return try json(200, service.getAlias(caller, name(context), alias: parameter(context, "alias")))
        }
        functions.put(":name/aliases/:alias") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:UpdateAlias", function: try name(context), qualifier: try parameter(context, "alias"))
            return try await json(200, service.updateAlias(caller, name(context), alias: parameter(context, "alias"), body(request)))
        }
        functions.delete(":name/aliases/:alias") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:DeleteAlias", function: try name(context), qualifier: try parameter(context, "alias"))
            try await service.deleteAlias(caller, name(context), alias: parameter(context, "alias"))
            return Response(status: .noContent)
        }
        // The function's resource policy: AddPermission, GetPolicy, RemovePermission.
        functions.post(":name/policy") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            let qualifier = request.uri.queryParameters.get("Qualifier")
            caller = try authorize(caller, "lambda:AddPermission", function: try name(context), qualifier: qualifier)
            return try await json(201, service.addPermission(caller, name(context), qualifier: qualifier, body(request)))
        }
        functions.get(":name/policy") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            let qualifier = request.uri.queryParameters.get("Qualifier")
            caller = try authorize(caller, "lambda:GetPolicy", function: try name(context), qualifier: qualifier)
            return try json(200, service.getPolicy(caller, name(context), qualifier: qualifier))
        }
        functions.delete(":name/policy/:sid") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            let query = request.uri.queryParameters
            caller = try authorize(caller, "lambda:RemovePermission", function: try name(context), qualifier: query.get("Qualifier"))
            try service.removePermission(caller, name(context), statementId: parameter(context, "sid"), qualifier: query.get("Qualifier"),
                                         revisionID: query.get("RevisionId"))
            return Response(status: .noContent)
        }
        // Reserved concurrency: Put and Delete on 2017-10-31, Get on 2019-09-30 (as botocore's model has it).
        router.put("2017-10-31/functions/:name/concurrency") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:PutFunctionConcurrency", function: try name(context), qualifier: nil)
            return try await json(200, service.putFunctionConcurrency(caller, name(context), body(request)))
        }
        router.delete("2017-10-31/functions/:name/concurrency") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:DeleteFunctionConcurrency", function: try name(context), qualifier: nil)
            try await service.deleteFunctionConcurrency(caller, name(context))
            return Response(status: .noContent)
        }
        router.get("2019-09-30/functions/:name/concurrency") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:GetFunctionConcurrency", function: try name(context), qualifier: nil)
            return try json(200, service.getFunctionConcurrency(caller, name(context)))
        }
        // Provisioned concurrency: ?Qualifier=VERSION|ALIAS, or ?List=ALL for ListProvisionedConcurrencyConfigs.
        let provisioned = router.group("2019-09-30/functions/:name/provisioned-concurrency")
        provisioned.put { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:PutProvisionedConcurrencyConfig", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            return try await json(202, service.putProvisionedConcurrency(caller, name(context), qualifier: request.uri.queryParameters.get("Qualifier"),
                                                                 body(request)))
        }
        provisioned.get { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            let listing = request.uri.queryParameters.get("List") != nil && request.uri.queryParameters.get("Qualifier") == nil
            caller = try authorize(caller, listing ? "lambda:ListProvisionedConcurrencyConfigs" : "lambda:GetProvisionedConcurrencyConfig", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            let query = request.uri.queryParameters
            if query.get("List") != nil, query.get("Qualifier") == nil {
                return try await json(200, service.listProvisionedConcurrency(caller, name(context)))
            }
            return try await json(200, service.getProvisionedConcurrency(caller, name(context), qualifier: query.get("Qualifier")))
        }
        provisioned.delete { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:DeleteProvisionedConcurrencyConfig", function: try name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            try await service.deleteProvisionedConcurrency(caller, name(context), qualifier: request.uri.queryParameters.get("Qualifier"))
            return Response(status: .noContent)
        }
        // Liveness, and the floor `corral bench invoke` compares invocations with: the same server, middleware
        // and connection, no work.
        router.get("corral/ping") { _, _ in
            Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
        }
        // A function's log (its output and START/END/REPORT lines): ?tail=BYTES for the end only.
        router.get("corral/functions/:name/logs") { request, context in
            var request = request
            var caller = try await authenticate(&request).at(context)
            caller = try authorize(caller, "lambda:GetFunction", function: try name(context), qualifier: nil)
            let reference = try service.reference(caller, name(context), qualifier: nil)
            _ = try service.resolve(caller, reference.name, qualifier: nil)
            let tail = request.uri.queryParameters.get("tail").flatMap { Int($0) }
            let text = logs?.read(account: caller.account, function: reference.name, tail: tail) ?? ""
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
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

    /// Authorizes `action` on the function `function` names (with its qualifier: the function's ARN as
    /// Lambda's policies see it), or on `*` for account-wide actions such as ListFunctions. A name in
    /// another account or region is not found (404) before anything is authorized: a tenant never
    /// learns whether another tenant's function exists.
    private func authorizeInOwnAccount(_ caller: Caller, _ action: String, function: String? = nil, qualifier: String? = nil) throws {
        guard let authorizer else { return }
        var resource = "*"
        if let function {
            let reference = try service.reference(caller, function, qualifier: qualifier)
            resource = "arn:aws:lambda:\(caller.region):\(caller.account):function:\(reference.name)" + (reference.qualifier.map { ":" + $0 } ?? "")
        }
        try authorizer.authorize(caller, action: action, resource: resource)
    }

    /// Authorizes `action` on a function and returns whom the operation runs as: the caller, or for another
    /// account's function named by its full or partial ARN, the caller acting in that account, when the
    /// function's resource policy (AddPermission) allows the action and the caller's own policy does too.
    /// Otherwise, for another account, 404 as if the function did not exist: a tenant learns nothing of
    /// others' functions.
    private func authorize(_ caller: Caller, _ action: String, function: String, qualifier: String?) throws -> Caller {
        let reference: FunctionReference
        do {
            reference = try FunctionReference.parse(function).qualified(by: qualifier)
        } catch {
            throw LambdaError.from(error)
        }
        guard let owner = reference.account, owner != caller.account, let authorizer else {
            try authorizeInOwnAccount(caller, action, function: function, qualifier: qualifier)
            return caller
        }
        let notFound = LambdaError.notFound("Function not found: \(function)")
        guard reference.region == nil || reference.region == caller.region,
              let policy = service.resourcePolicy(account: owner, function: reference.name, qualifier: reference.qualifier) else { throw notFound }
        let arn = FunctionARN(region: caller.region, account: owner, name: reference.name, qualifier: reference.qualifier).description
        do {
            try authorizer.authorize(caller, action: action, resource: arn, resourceAccount: owner,
                                     resourcePolicy: NamedPolicy.resource("resource policy of \(arn)", policy))
        } catch {
            throw notFound
        }
        var acting = caller
        acting.account = owner
        return acting
    }

    /// CreateFunction's FunctionName, from the body (the resource it creates), if it has one.
    private func createdName(_ bytes: [UInt8]) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["FunctionName"] as? String
    }

    private func body(_ request: Request, limit: Int = controlBodyLimit) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: limit)
        return Array(buffer.readableBytesView)
    }

    private func name<Context: RequestContext>(_ context: Context) throws -> String {
        try parameter(context, "name")
    }

    /// A path parameter, percent-decoded (boto3 sends `:` in ARNs as `%3A`).
    private func parameter<Context: RequestContext>(_ context: Context, _ key: String) throws -> String {
        let raw = try context.parameters.require(key)
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let decoded = raw.removingPercentEncoding else { throw LambdaError.invalidParameter("\(key) is not valid percent-encoding") }
        return decoded
    }

    private func json(_ status: Int, _ value: some Encodable) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: LambdaJSON.encode(value))))
    }
}
