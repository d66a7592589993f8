/// The settings a function version runs with, as CreateFunction and UpdateFunctionConfiguration take them
/// (field names are Lambda's). Validation follows Lambda's limits; where a host can do less (which runtimes
/// it has), the server checks that separately.
public struct FunctionSettings: Equatable, Sendable, Codable {
    public var runtime: String
    public var handler: String
    /// The execution role's ARN (`arn:aws:iam::ACCOUNT:role/NAME`). Stored now; the policy engine enforces it.
    public var role: String
    /// MB: the sandbox's memory limit, and what Lambda bills for.
    public var memorySize: Int
    /// Seconds.
    public var timeout: Int
    public var environment: [String: String]
    /// MB of /tmp.
    public var ephemeralStorage: Int
    public var description: String
    /// Corral's own setting (absent from Lambda's API): `fresh` gives every invocation its own execution
    /// environment, destroyed after it; nil or `reuse` is Lambda's model.
    public var environmentMode: EnvironmentMode?

    public init(runtime: String, handler: String, role: String, memorySize: Int = 128, timeout: Int = 3,
                environment: [String: String] = [:], ephemeralStorage: Int = 512, description: String = "") {
        self.runtime = runtime
        self.handler = handler
        self.role = role
        self.memorySize = memorySize
        self.timeout = timeout
        self.environment = environment
        self.ephemeralStorage = ephemeralStorage
        self.description = description
    }

    /// How execution environments serve invocations.
    public enum EnvironmentMode: String, Equatable, Sendable, Codable, CaseIterable {
        /// Lambda's model: an environment serves invocations one after another until it idles out.
        case reuse
        /// One invocation per environment; the pool starts the next one ahead so invocations still start warm.
        case fresh
    }

    public static let memoryRange = 128...10240
    public static let timeoutRange = 1...900
    public static let ephemeralStorageRange = 512...10240
    /// Bytes of all environment variable names and values together.
    public static let environmentLimit = 4096

    /// Variables the platform sets; a function may not override them (Lambda refuses them the same way).
    public static let reservedVariables: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ]

    /// Checks every setting; the first broken rule is thrown, naming the request field.
    public func validate() throws(FunctionSpecError) {
        guard RuntimeName(runtime) != nil else {
            throw .invalid("Runtime", "'\(runtime)' is not a runtime identifier (python3.N, nodejsN.x, provided, provided.al2, provided.al2023)")
        }
        guard (1...128).contains(handler.utf8.count), !handler.contains(where: \.isWhitespace) else {
            throw .invalid("Handler", "must be 1 to 128 characters without spaces")
        }
        guard Self.isRoleARN(role) else {
            throw .invalid("Role", "'\(role)' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
        }
        guard Self.memoryRange.contains(memorySize) else {
            throw .invalid("MemorySize", "\(memorySize) is outside \(Self.memoryRange.lowerBound) to \(Self.memoryRange.upperBound) MB")
        }
        guard Self.timeoutRange.contains(timeout) else {
            throw .invalid("Timeout", "\(timeout) is outside \(Self.timeoutRange.lowerBound) to \(Self.timeoutRange.upperBound) seconds")
        }
        guard Self.ephemeralStorageRange.contains(ephemeralStorage) else {
            throw .invalid("EphemeralStorage", "\(ephemeralStorage) is outside \(Self.ephemeralStorageRange.lowerBound) to \(Self.ephemeralStorageRange.upperBound) MB")
        }
        guard description.count <= 256 else { throw .invalid("Description", "is longer than 256 characters") }
        try Self.validate(environment: environment)
    }

    static func validate(environment: [String: String]) throws(FunctionSpecError) {
        for key in environment.keys.sorted() {
            let bytes = Array(key.utf8)
            let isLetter = { (c: UInt8) in (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) }
            guard bytes.count >= 2, isLetter(bytes[0]), bytes.allSatisfy({ isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5f }) else {
                throw .invalid("Environment", "variable name '\(key)' must be a letter followed by letters, digits or underscores")
            }
        }
        let reserved = environment.keys.filter(reservedVariables.contains).sorted()
        if !reserved.isEmpty {
            throw .invalid("Environment", "reserved keys cannot be set: \(reserved.joined(separator: ", "))")
        }
        let size = environment.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard size <= environmentLimit else {
            throw .invalid("Environment", "variables take \(size) bytes, more than the \(environmentLimit)-byte limit")
        }
    }

    /// `arn:aws[-partition]:iam::ACCOUNT:role/PATH/NAME`.
    static func isRoleARN(_ s: String) -> Bool {
        let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "iam", parts[3].isEmpty,
              FunctionNames.isAccountID(String(parts[4])), parts[5].hasPrefix("role/") else { return false }
        let name = parts[5].dropFirst(5)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@-_/")
        return !name.isEmpty && name.count <= 64 + 512 && name.allSatisfy(allowed.contains)
    }
}
