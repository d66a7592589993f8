/// Response shapes of the Lambda API (botocore's model), keys spelled as Lambda spells them.
struct FunctionConfigurationShape: Encodable, Equatable {
    var functionName: String
    var functionArn: String
    var runtime: String
    var role: String
    var handler: String
    var codeSize: Int
    var description: String
    var timeout: Int
    var memorySize: Int
    var lastModified: String
    var codeSha256: String
    var version: String
    var environment: EnvironmentShape?
    var revisionId: String
    var ephemeralStorage: EphemeralStorageShape
    /// ListFunctions items omit the state fields; single-function answers carry them (waiters poll them).
    var state: String?
    var lastUpdateStatus: String?
    var packageType = "Zip"
    var architectures = ["x86_64"]
    var tracingConfig = TracingConfigShape()
    var loggingConfig: LoggingConfigShape
    /// Corral's own field, present when the function runs in fresh mode (boto3 ignores it).
    var environmentMode: String?

    enum CodingKeys: String, CodingKey {
        case environmentMode = "CorralEnvironmentMode"
        case functionName = "FunctionName", functionArn = "FunctionArn", runtime = "Runtime", role = "Role", handler = "Handler"
        case codeSize = "CodeSize", description = "Description", timeout = "Timeout", memorySize = "MemorySize"
        case lastModified = "LastModified", codeSha256 = "CodeSha256", version = "Version", environment = "Environment"
        case revisionId = "RevisionId", ephemeralStorage = "EphemeralStorage", state = "State", lastUpdateStatus = "LastUpdateStatus"
        case packageType = "PackageType", architectures = "Architectures", tracingConfig = "TracingConfig", loggingConfig = "LoggingConfig"
    }
}

struct EnvironmentShape: Codable, Equatable {
    var variables: [String: String]?
    enum CodingKeys: String, CodingKey { case variables = "Variables" }
}

struct EphemeralStorageShape: Codable, Equatable {
    var size: Int
    enum CodingKeys: String, CodingKey { case size = "Size" }
}

struct TracingConfigShape: Encodable, Equatable {
    var mode = "PassThrough"
    enum CodingKeys: String, CodingKey { case mode = "Mode" }
}

struct LoggingConfigShape: Encodable, Equatable {
    var logFormat = "Text"
    var logGroup: String
    enum CodingKeys: String, CodingKey { case logFormat = "LogFormat", logGroup = "LogGroup" }
}

struct GetFunctionShape: Encodable {
    var configuration: FunctionConfigurationShape
    var code: CodeLocationShape
    var concurrency: ConcurrencyShape?
    enum CodingKeys: String, CodingKey { case configuration = "Configuration", code = "Code", concurrency = "Concurrency" }
}

struct ConcurrencyShape: Encodable {
    var reservedConcurrentExecutions: Int
    enum CodingKeys: String, CodingKey { case reservedConcurrentExecutions = "ReservedConcurrentExecutions" }
}

struct CodeLocationShape: Encodable {
    var repositoryType = "S3"
    var location: String
    enum CodingKeys: String, CodingKey { case repositoryType = "RepositoryType", location = "Location" }
}

struct FunctionListShape: Encodable {
    var functions: [FunctionConfigurationShape]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case functions = "Functions", nextMarker = "NextMarker" }
}

struct VersionListShape: Encodable {
    var versions: [FunctionConfigurationShape]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case versions = "Versions", nextMarker = "NextMarker" }
}

struct AliasConfigurationShape: Encodable, Equatable {
    var aliasArn: String
    var name: String
    var functionVersion: String
    var description: String
    var routingConfig: RoutingConfigShape?
    var revisionId: String
    enum CodingKeys: String, CodingKey {
        case aliasArn = "AliasArn", name = "Name", functionVersion = "FunctionVersion", description = "Description"
        case routingConfig = "RoutingConfig", revisionId = "RevisionId"
    }
}

struct RoutingConfigShape: Codable, Equatable {
    var additionalVersionWeights: [String: Double]?
    enum CodingKeys: String, CodingKey { case additionalVersionWeights = "AdditionalVersionWeights" }
}

struct AliasListShape: Encodable {
    var aliases: [AliasConfigurationShape]
    var nextMarker: String?
    enum CodingKeys: String, CodingKey { case aliases = "Aliases", nextMarker = "NextMarker" }
}
