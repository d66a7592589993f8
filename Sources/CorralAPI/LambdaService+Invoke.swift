import CorralFunctions
import CorralRuntime
import CorralStore
import Foundation

/// Invoke (RequestResponse and DryRun; Event waits for the async issue).
extension LambdaService {
    struct InvokeReply {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var requestID: String?
    }

    func invoke(_ caller: Caller, _ name: String, qualifier: String?, invocationType: String?, logType: String?,
                clientContext: String?, payload: [UInt8]) async throws(LambdaError) -> InvokeReply {
        let type = invocationType ?? "RequestResponse"
        guard ["RequestResponse", "DryRun", "Event"].contains(type) else {
            throw .invalidParameter("X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, not '\(type)'")
        }
        guard logType == nil || logType == "None" || logType == "Tail" else {
            throw .invalidParameter("X-Amz-Log-Type must be None or Tail, not '\(logType ?? "")'")
        }
        guard payload.count <= invocationPayloadLimit else {
            throw .requestTooLarge("Request must be smaller than \(invocationPayloadLimit) bytes for the InvokeFunction operation")
        }
        if !payload.isEmpty, (try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed])) == nil {
            throw .invalidContent("Could not parse request body into json: the payload is not valid JSON")
        }
        let context = try Self.decodeClientContext(clientContext)
        let reference = try reference(caller, name, qualifier: qualifier)
        let version = try routedVersion(caller, reference)
        if type == "DryRun" { return InvokeReply(status: 204, headers: [], body: [], requestID: nil) }
        if type == "Event" {
            throw .invalidParameter("InvocationType Event (asynchronous invocation) is not supported yet: use RequestResponse")
        }
        guard let invoker else { throw .service("This server does not run functions") }
        let arn = FunctionARN(region: caller.region, account: caller.account, name: reference.name, qualifier: reference.qualifier)
        let result: InvokeResult
        do {
            result = try await invoker.invoke(version, arn: arn.description, payload: payload.isEmpty ? Array("{}".utf8) : payload,
                                              clientContext: context)
        } catch {
            throw LambdaError.from(error)
        }
        var headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", result.executedVersion)]
        if result.functionError { headers.append(("X-Amz-Function-Error", "Unhandled")) }
        if logType == "Tail" {
            headers.append(("X-Amz-Log-Result", Data(Array(result.log.utf8).suffix(4096)).base64EncodedString()))
        }
        return InvokeReply(status: 200, headers: headers, body: result.payload, requestID: result.requestID)
    }

    /// The version an invocation runs: the qualifier's, or for an alias with routing weights, the
    /// additional version with its weight's probability.
    func routedVersion(_ caller: Caller, _ reference: FunctionReference) throws(LambdaError) -> FunctionVersion {
        if let qualifier = reference.qualifier, FunctionNames.isAliasName(qualifier) {
            let alias = try call { () throws(StoreError) in try functions.alias(account: caller.account, function: reference.name, name: qualifier) }
            var chosen = alias.functionVersion
            if let (extra, weight) = alias.additionalVersionWeights.first, Double.random(in: 0..<1) < weight { chosen = extra }
            return try call { () throws(StoreError) in try functions.version(account: caller.account, name: reference.name, qualifier: chosen) }
        }
        return try call { () throws(StoreError) in
            try functions.version(account: caller.account, name: reference.name, qualifier: reference.qualifier)
        }
    }

    /// X-Amz-Client-Context: base64 JSON, at most 3583 bytes; the runtime receives it decoded.
    static func decodeClientContext(_ header: String?) throws(LambdaError) -> String? {
        guard let header, !header.isEmpty else { return nil }
        guard header.utf8.count <= 3583 else { throw .invalidParameter("X-Amz-Client-Context must be at most 3583 bytes") }
        guard let data = Data(base64Encoded: header), (try? JSONSerialization.jsonObject(with: data)) != nil else {
            throw .invalidParameter("X-Amz-Client-Context must be base64-encoded JSON")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
