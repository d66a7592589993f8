import CorralRuntime
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Gives every response an `x-amzn-RequestId`, and turns every error into Lambda's error shape: the status,
/// `x-amzn-ErrorType` (which boto3 maps to an exception class) and a JSON body. Server faults are logged
/// with their cause; the client sees only a generic message.
struct LambdaErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = UUID().uuidString.lowercased()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let lambdaError = Self.lambdaError(for: error)
            if lambdaError.isServiceFault {
                logger.error("\(request.method) \(request.uri.path) failed: \(error)", metadata: ["requestId": .string(requestID)])
            }
            response = Self.response(for: lambdaError)
        }
        if response.headers[LambdaHeaders.requestID] == nil { response.headers[LambdaHeaders.requestID] = requestID }
        return response
    }

    static func lambdaError(for error: any Error) -> LambdaError {
        // Errors Hummingbird and NIO describe with an HTTP status (a body over the limit is 413).
        if !(error is HTTPError), let http = error as? any HTTPResponseError, http.status.code == 413 {
            return .requestTooLarge("Request must be smaller than the limit for this operation (\(invocationPayloadLimit) bytes for Invoke)")
        }
        if let http = error as? HTTPError {
            switch http.status.code {
            case 404: return LambdaError(status: 404, type: "UnknownOperationException", message: "Unknown operation")
            case 405: return LambdaError(status: 405, type: "UnknownOperationException", message: "Method not allowed for this path")
            case 413: return .requestTooLarge("Request must be smaller than the limit for this operation")
            default: return LambdaError(status: http.status.code, type: "InvalidRequestContentException", message: http.body ?? "\(http.status)")
            }
        }
        return LambdaError.from(error)
    }

    static func response(for error: LambdaError) -> Response {
        var body: [String: String] = error.extra
        body["Type"] = error.isServiceFault ? "Service" : "User"
        body[error.capitalizedMessageKey ? "Message" : "message"] = error.message
        let bytes = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[LambdaHeaders.errorType] = error.type
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return Response(status: .init(code: error.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Header names of the Lambda API.
enum LambdaHeaders {
    static let requestID = field("x-amzn-RequestId")
    static let errorType = field("x-amzn-ErrorType")
    static let invocationType = field("X-Amz-Invocation-Type")
    static let logType = field("X-Amz-Log-Type")
    static let clientContext = field("X-Amz-Client-Context")
    static let executedVersion = field("X-Amz-Executed-Version")
    static let functionError = field("X-Amz-Function-Error")
    static let logResult = field("X-Amz-Log-Result")

    /// A header name from a constant token (these literals are valid tokens; the check is the type's).
    static func field(_ name: StaticString) -> HTTPField.Name {
        guard let field = HTTPField.Name(name.description) else { preconditionFailure("not an HTTP token: \(name)") }
        return field
    }
}
