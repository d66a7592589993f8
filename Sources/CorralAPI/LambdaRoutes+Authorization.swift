import CorralFunctions
import CorralPolicy
import Foundation
import HTTPTypes
import Hummingbird

/// One row of the API's route table: where it is, the IAM action it is authorized as, what that action is
/// on, and what it does once allowed.
struct LambdaOperation: Sendable {
    /// The resource an operation's action is judged on.
    enum Target: Sendable {
        /// The caller's account (Resource "*"): ListFunctions.
        case account
        /// The function the body names (CreateFunction): the body is read first, and handed on.
        case createdFunction
        /// The function of the path's :name, qualified by `qualifier`, possibly another account's by its ARN
        /// when that function's resource policy allows the action.
        case function(qualifier: Qualifier)
    }

    /// Where a function operation's qualifier comes from.
    enum Qualifier: Sendable {
        /// None: the operation is on the unqualified function.
        case none
        /// ?Qualifier=.
        case query
        /// The :alias path parameter.
        case alias
    }

    let method: HTTPRequest.Method
    let path: String
    /// The IAM action, from the request (one route may be two operations: ?List=ALL).
    let action: @Sendable (Request) -> String
    let target: Target
    let handle: @Sendable (LambdaCall) async throws -> Response

    init(_ method: HTTPRequest.Method, _ path: String, _ action: String, on target: Target, handle: @escaping @Sendable (LambdaCall) async throws -> Response) {
        self.init(method, path, action: { _ in action }, on: target, handle: handle)
    }

    init(_ method: HTTPRequest.Method, _ path: String, action: @escaping @Sendable (Request) -> String, on target: Target,
         handle: @escaping @Sendable (LambdaCall) async throws -> Response) {
        self.method = method
        self.path = path
        self.action = action
        self.target = target
        self.handle = handle
    }
}

/// An authorized request, as an operation's handler gets it.
struct LambdaCall: Sendable {
    var request: Request
    /// Whom the operation runs as: the caller, or for another account's function it may act on, the
    /// caller acting in that account.
    let caller: Caller
    /// The path's :name, percent-decoded (a name, a partial or a full ARN), for function operations.
    let function: String
    /// The qualifier the action was authorized with.
    let qualifier: String?
    /// CreateFunction's body, already read to find the name it creates; empty for other operations.
    let createBody: [UInt8]
    let parameters: Parameters

    /// A query parameter.
    func query(_ key: String) -> String? { request.uri.queryParameters.get(key) }

    /// A path parameter, percent-decoded.
    func parameter(_ key: String) throws -> String { try LambdaRoutes.parameter(parameters, key) }
}

extension LambdaRoutes {
    /// The one way into an operation: authenticate the request, resolve what it acts on once, and authorize
    /// the operation's action on it. Refusals are Lambda's errors (LambdaErrorMiddleware writes them).
    func authorized<Context: RequestContext>(_ operation: LambdaOperation, _ request: Request, _ context: Context) async throws -> LambdaCall {
        var request = request
        let caller = try await authenticate(&request).at(context)
        let action = operation.action(request)
        switch operation.target {
        case .account:
            try authorizeInOwnAccount(caller, action)
            return LambdaCall(request: request, caller: caller, function: "", qualifier: nil, createBody: [], parameters: context.parameters)
        case .createdFunction:
            let bytes = try await body(request)
            // On the function it would create; a body without a readable name is refused by the service.
            let name = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["FunctionName"] as? String
            try authorizeInOwnAccount(caller, action, function: name)
            return LambdaCall(request: request, caller: caller, function: name ?? "", qualifier: nil, createBody: bytes, parameters: context.parameters)
        case let .function(source):
            let function = try Self.parameter(context.parameters, "name")
            let qualifier: String? = switch source {
            case .none: nil
            case .query: request.uri.queryParameters.get("Qualifier")
            case .alias: try Self.parameter(context.parameters, "alias")
            }
            let acting = try authorize(caller, action, function: function, qualifier: qualifier)
            return LambdaCall(request: request, caller: acting, function: function, qualifier: qualifier, createBody: [], parameters: context.parameters)
        }
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
}
