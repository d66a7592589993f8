import CorralCode
import CorralFunctions
import CorralPolicy
import CorralPool
import CorralRuntime
import CorralStore

/// An error as the Lambda API returns it: an HTTP status, the type boto3 maps to an exception class
/// (`x-amzn-ErrorType`), and a JSON body `{"Type": "User", "message": ...}`. This file is the one place
/// domain errors become HTTP.
public struct LambdaError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var type: String
    public var message: String
    /// Lambda spells the message key `Message` for ResourceNotFound and Service errors, `message` elsewhere.
    public var capitalizedMessageKey: Bool
    /// Extra body fields (TooManyRequests' Reason, say).
    public var extra: [String: String]
    /// The Retry-After header, for throttling.
    public var retryAfterSeconds: Int?
    public var isServiceFault: Bool { status >= 500 }

    public init(status: Int, type: String, message: String, capitalizedMessageKey: Bool = false, extra: [String: String] = [:],
                retryAfterSeconds: Int? = nil) {
        self.retryAfterSeconds = retryAfterSeconds
        self.status = status
        self.type = type
        self.message = message
        self.capitalizedMessageKey = capitalizedMessageKey
        self.extra = extra
    }

    public var description: String { "\(status) \(type): \(message)" }

    public static func invalidParameter(_ message: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidParameterValueException", message: message)
    }
    public static func invalidContent(_ message: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidRequestContentException", message: message)
    }
    public static func notFound(_ message: String) -> LambdaError {
        LambdaError(status: 404, type: "ResourceNotFoundException", message: message, capitalizedMessageKey: true)
    }
    public static func conflict(_ message: String) -> LambdaError {
        LambdaError(status: 409, type: "ResourceConflictException", message: message)
    }
    public static func preconditionFailed(_ message: String) -> LambdaError {
        LambdaError(status: 412, type: "PreconditionFailedException", message: message)
    }
    public static func requestTooLarge(_ message: String) -> LambdaError {
        LambdaError(status: 413, type: "RequestTooLargeException", message: message)
    }
    public static func unsupported(_ message: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidParameterValueException", message: message)
    }
    public static func provisionedNotFound(_ message: String) -> LambdaError {
        LambdaError(status: 404, type: "ProvisionedConcurrencyConfigNotFoundException", message: message)
    }
    /// 429 with Lambda's Reason; boto3 retries these, honouring Retry-After.
    public static func throttled(_ reason: ThrottleReason) -> LambdaError {
        let message = reason == .reservedFunctionConcurrency ? "Rate Exceeded." : "Rate exceeded: no room for another execution environment"
        return LambdaError(status: 429, type: "TooManyRequestsException", message: message, extra: ["Reason": reason.rawValue], retryAfterSeconds: 1)
    }
    public static func service(_ message: String) -> LambdaError {
        LambdaError(status: 500, type: "ServiceException", message: message, capitalizedMessageKey: true)
    }
    public static func invalidZip(_ message: String) -> LambdaError {
        LambdaError(status: 502, type: "InvalidZipFileException", message: message)
    }
    public static func invalidRuntime(_ message: String) -> LambdaError {
        LambdaError(status: 502, type: "InvalidRuntimeException", message: message)
    }

    /// The Lambda error for a domain error; anything unexpected is a ServiceException whose details stay
    /// in the server log.
    public static func from(_ error: any Error) -> LambdaError {
        switch error {
        case let error as LambdaError:
            return error
        case let error as InvokerError:
            switch error {
            case let .throttled(reason): return .throttled(reason)
            case .stopping: return LambdaError(status: 503, type: "ServiceException", message: "The server is stopping; try again", capitalizedMessageKey: true)
            case .runtimeUnavailable: return .service(error.description)
            }
        case let error as FunctionSpecError:
            return .invalidParameter(error.description)
        case let error as StoreError:
            switch error {
            case let .notFound(message): return .notFound(message)
            case let .conflict(message): return .conflict(message)
            case let .preconditionFailed(message): return .preconditionFailed(message)
            case let .invalid(message): return .invalidParameter(message)
            case .database: return .service("The service failed to store the request; try again")
            }
        case let error as PolicyError:
            switch error.kind {
            case .duplicateStatementId: return .conflict(error.message)
            case .statementNotFound: return .notFound(error.message)
            case .policyLengthExceeded: return LambdaError(status: 400, type: "PolicyLengthExceededException", message: error.message)
            case .invalidParameter, .malformedPolicy: return .invalidParameter(error.description)
            }
        case let error as CodePackageError:
            switch error {
            case let .invalidZip(message): return .invalidZip("Could not unzip uploaded file: \(message)")
            case let .tooLarge(message): return .invalidZip("Unzipped size must be smaller than the limit: \(message)")
            case .host: return .service("The service failed to store the code package; try again")
            }
        default:
            return .service("The service failed to process the request; try again")
        }
    }
}
