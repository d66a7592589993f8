/// One invocation handed to an execution environment: what `invocation/next` returns to the runtime.
public struct Invocation: Sendable {
    public var requestID: String
    public var payload: [UInt8]
    /// Epoch milliseconds (Lambda-Runtime-Deadline-Ms).
    public var deadlineMs: Int64
    public var invokedFunctionArn: String
    public var traceID: String
    /// The decoded X-Amz-Client-Context JSON, if the caller sent one.
    public var clientContext: String?

    public init(requestID: String, payload: [UInt8], deadlineMs: Int64, invokedFunctionArn: String, traceID: String, clientContext: String? = nil) {
        self.requestID = requestID
        self.payload = payload
        self.deadlineMs = deadlineMs
        self.invokedFunctionArn = invokedFunctionArn
        self.traceID = traceID
        self.clientContext = clientContext
    }

    /// Response headers of `invocation/next` (each only when non-empty, as Lambda does).
    var nextHeaders: [(String, String)] {
        var headers = [("Lambda-Runtime-Aws-Request-Id", requestID), ("Lambda-Runtime-Deadline-Ms", String(deadlineMs)),
                       ("Lambda-Runtime-Invoked-Function-Arn", invokedFunctionArn), ("Lambda-Runtime-Trace-Id", traceID),
                       ("Content-Type", "application/json")]
        if let clientContext, !clientContext.isEmpty { headers.append(("Lambda-Runtime-Client-Context", clientContext)) }
        return headers.filter { !$0.1.isEmpty }
    }
}

/// How an invocation ended, as the environment saw it.
public enum InvocationOutcome: Sendable, Equatable {
    /// The runtime posted `invocation/{id}/response`.
    case response([UInt8])
    /// The runtime posted `invocation/{id}/error`: its error JSON, and the error type header if any.
    case functionError([UInt8], type: String?)
    /// The response was larger than Lambda's 6 MB limit (refused with 413 to the runtime).
    case responseTooLarge(Int)
    /// The runtime posted `init/error` before taking the invocation.
    case initError([UInt8], type: String?)
    /// The runtime process ended without answering: its exit status, and whether the cgroup saw an OOM kill.
    case exited(status: Int32, oomKilled: Bool)
    /// The deadline passed; the sandbox was killed.
    case timedOut
    /// The runtime did not ask for work within the init limit; the sandbox was killed.
    case initTimedOut(Double)
}

/// Lambda's limit for a synchronous response and request payload.
public let invocationPayloadLimit = 6 * 1024 * 1024
/// The Runtime API accepts a response up to this size (Lambda's own figure, a little over 6 MB).
public let runtimeResponseLimit = 6_291_556
