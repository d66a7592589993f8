import CorralFunctions
import CorralRuntime
import Foundation
import HTTPTypes
import Hummingbird

/// The route table: every operation of the Lambda API (2015-03-31, and the concurrency paths of 2017-10-31
/// and 2019-09-30, as botocore's model has them) and Corral's own signed ones, each with the IAM action it
/// is authorized as. A new operation is a new row; `register` authorizes every row before its handler runs.
extension LambdaRoutes {
    func operations() -> [LambdaOperation] {
        let service = self.service, logs = self.logs
        let functions = "2015-03-31/functions"
        return [
            LambdaOperation(.post, functions, "lambda:CreateFunction", on: .createdFunction) { call in
                try await json(201, service.createFunction(call.caller, call.createBody))
            },
            LambdaOperation(.get, functions, "lambda:ListFunctions", on: .account) { call in
                try json(200, service.listFunctions(call.caller, marker: call.query("Marker"), maxItems: call.query("MaxItems")))
            },
            LambdaOperation(.get, functions + "/:name", "lambda:GetFunction", on: .function(qualifier: .query)) { call in
                try json(200, service.getFunction(call.caller, call.function, qualifier: call.qualifier))
            },
            LambdaOperation(.delete, functions + "/:name", "lambda:DeleteFunction", on: .function(qualifier: .query)) { call in
                try await service.deleteFunction(call.caller, call.function, qualifier: call.qualifier)
                return Response(status: .noContent)
            },
            LambdaOperation(.get, functions + "/:name/configuration", "lambda:GetFunctionConfiguration", on: .function(qualifier: .query)) { call in
                try json(200, service.getFunctionConfiguration(call.caller, call.function, qualifier: call.qualifier))
            },
            LambdaOperation(.put, functions + "/:name/configuration", "lambda:UpdateFunctionConfiguration", on: .function(qualifier: .none)) { call in
                try await json(200, service.updateFunctionConfiguration(call.caller, call.function, body(call.request)))
            },
            LambdaOperation(.put, functions + "/:name/code", "lambda:UpdateFunctionCode", on: .function(qualifier: .none)) { call in
                try await json(200, service.updateFunctionCode(call.caller, call.function, body(call.request)))
            },
            // Another account's function, named by its ARN, runs there if its resource policy allows.
            LambdaOperation(.post, functions + "/:name/invocations", "lambda:InvokeFunction", on: .function(qualifier: .query)) { call in
                let headers = call.request.headers
                let payload = try await body(call.request, limit: invocationPayloadLimit + 1)
                let reply = try await service.invoke(call.caller, call.function, qualifier: call.qualifier,
                                                     invocationType: headers[LambdaHeaders.invocationType], logType: headers[LambdaHeaders.logType],
                                                     clientContext: headers[LambdaHeaders.clientContext], payload: payload)
                var fields = HTTPFields()
                for (name, value) in reply.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
                if let id = reply.requestID { fields[LambdaHeaders.requestID] = id }
                return Response(status: .init(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
            },
            LambdaOperation(.post, functions + "/:name/versions", "lambda:PublishVersion", on: .function(qualifier: .none)) { call in
                try await json(201, service.publishVersion(call.caller, call.function, body(call.request)))
            },
            LambdaOperation(.get, functions + "/:name/versions", "lambda:ListVersionsByFunction", on: .function(qualifier: .none)) { call in
                try json(200, service.listVersions(call.caller, call.function, marker: call.query("Marker"), maxItems: call.query("MaxItems")))
            },
            LambdaOperation(.post, functions + "/:name/aliases", "lambda:CreateAlias", on: .function(qualifier: .none)) { call in
                try await json(201, service.createAlias(call.caller, call.function, body(call.request)))
            },
            LambdaOperation(.get, functions + "/:name/aliases", "lambda:ListAliases", on: .function(qualifier: .none)) { call in
                try json(200, service.listAliases(call.caller, call.function, functionVersion: call.query("FunctionVersion"),
                                                  marker: call.query("Marker"), maxItems: call.query("MaxItems")))
            },
            LambdaOperation(.get, functions + "/:name/aliases/:alias", "lambda:GetAlias", on: .function(qualifier: .alias)) { call in
                try json(200, service.getAlias(call.caller, call.function, alias: call.parameter("alias")))
            },
            LambdaOperation(.put, functions + "/:name/aliases/:alias", "lambda:UpdateAlias", on: .function(qualifier: .alias)) { call in
                try await json(200, service.updateAlias(call.caller, call.function, alias: call.parameter("alias"), body(call.request)))
            },
            LambdaOperation(.delete, functions + "/:name/aliases/:alias", "lambda:DeleteAlias", on: .function(qualifier: .alias)) { call in
                try await service.deleteAlias(call.caller, call.function, alias: call.parameter("alias"))
                return Response(status: .noContent)
            },
            // The function's resource policy: AddPermission, GetPolicy, RemovePermission.
            LambdaOperation(.post, functions + "/:name/policy", "lambda:AddPermission", on: .function(qualifier: .query)) { call in
                try await json(201, service.addPermission(call.caller, call.function, qualifier: call.qualifier, body(call.request)))
            },
            LambdaOperation(.get, functions + "/:name/policy", "lambda:GetPolicy", on: .function(qualifier: .query)) { call in
                try json(200, service.getPolicy(call.caller, call.function, qualifier: call.qualifier))
            },
            LambdaOperation(.delete, functions + "/:name/policy/:sid", "lambda:RemovePermission", on: .function(qualifier: .query)) { call in
                try service.removePermission(call.caller, call.function, statementId: call.parameter("sid"), qualifier: call.qualifier,
                                             revisionID: call.query("RevisionId"))
                return Response(status: .noContent)
            },
            // Reserved concurrency: Put and Delete on 2017-10-31, Get on 2019-09-30.
            LambdaOperation(.put, "2017-10-31/functions/:name/concurrency", "lambda:PutFunctionConcurrency", on: .function(qualifier: .none)) { call in
                try await json(200, service.putFunctionConcurrency(call.caller, call.function, body(call.request)))
            },
            LambdaOperation(.delete, "2017-10-31/functions/:name/concurrency", "lambda:DeleteFunctionConcurrency", on: .function(qualifier: .none)) { call in
                try await service.deleteFunctionConcurrency(call.caller, call.function)
                return Response(status: .noContent)
            },
            LambdaOperation(.get, "2019-09-30/functions/:name/concurrency", "lambda:GetFunctionConcurrency", on: .function(qualifier: .none)) { call in
                try json(200, service.getFunctionConcurrency(call.caller, call.function))
            },
            // Provisioned concurrency: ?Qualifier=VERSION|ALIAS, or ?List=ALL for ListProvisionedConcurrencyConfigs.
            LambdaOperation(.put, "2019-09-30/functions/:name/provisioned-concurrency", "lambda:PutProvisionedConcurrencyConfig",
                            on: .function(qualifier: .query)) { call in
                try await json(202, service.putProvisionedConcurrency(call.caller, call.function, qualifier: call.qualifier, body(call.request)))
            },
            LambdaOperation(.get, "2019-09-30/functions/:name/provisioned-concurrency",
                            action: { Self.listsProvisioned($0) ? "lambda:ListProvisionedConcurrencyConfigs" : "lambda:GetProvisionedConcurrencyConfig" },
                            on: .function(qualifier: .query)) { call in
                if Self.listsProvisioned(call.request) {
                    return try await json(200, service.listProvisionedConcurrency(call.caller, call.function))
                }
                return try await json(200, service.getProvisionedConcurrency(call.caller, call.function, qualifier: call.qualifier))
            },
            LambdaOperation(.delete, "2019-09-30/functions/:name/provisioned-concurrency", "lambda:DeleteProvisionedConcurrencyConfig",
                            on: .function(qualifier: .query)) { call in
                try await service.deleteProvisionedConcurrency(call.caller, call.function, qualifier: call.qualifier)
                return Response(status: .noContent)
            },
            // Corral's own: the sandbox the function's execution role compiles to (`corral policy effective`).
            LambdaOperation(.get, "corral/functions/:name/sandbox", "lambda:GetFunctionConfiguration", on: .function(qualifier: .query)) { call in
                try json(200, service.effectiveSandbox(call.caller, call.function, qualifier: call.qualifier))
            },
            // A function's log (its output and START/END/REPORT lines): ?tail=BYTES for the end only.
            LambdaOperation(.get, "corral/functions/:name/logs", "lambda:GetFunction", on: .function(qualifier: .none)) { call in
                let reference = try service.reference(call.caller, call.function, qualifier: nil)
                _ = try service.resolve(call.caller, reference.name, qualifier: nil)
                let tail = call.query("tail").flatMap { Int($0) }
                let text = logs?.read(account: call.caller.account, function: reference.name, tail: tail) ?? ""
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; charset=utf-8"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            },
        ]
    }

    /// GET provisioned-concurrency with ?List=ALL and no Qualifier is ListProvisionedConcurrencyConfigs.
    static func listsProvisioned(_ request: Request) -> Bool {
        let query = request.uri.queryParameters
        return query.get("List") != nil && query.get("Qualifier") == nil
    }
}
