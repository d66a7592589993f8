/// Request bodies of the Lambda API, decoded with Lambda's key names. Optional fields are optional here
/// too; required ones are checked by the service so the error names the field as Lambda does.
struct CreateFunctionRequest: Decodable {
    var functionName: String?
    var runtime: String?
    var role: String?
    var handler: String?
    var code: CodeShape?
    var description: String?
    var timeout: Int?
    var memorySize: Int?
    var publish: Bool?
    var environment: EnvironmentShape?
    var ephemeralStorage: EphemeralStorageShape?
    var packageType: String?
    var architectures: [String]?
    var layers: [String]?
    /// Corral's own field: "reuse" (Lambda's model, the default) or "fresh" (one invocation per environment).
    var environmentMode: String?

    enum CodingKeys: String, CodingKey {
        case environmentMode = "CorralEnvironmentMode"
        case functionName = "FunctionName", runtime = "Runtime", role = "Role", handler = "Handler", code = "Code"
        case description = "Description", timeout = "Timeout", memorySize = "MemorySize", publish = "Publish"
        case environment = "Environment", ephemeralStorage = "EphemeralStorage", packageType = "PackageType"
        case architectures = "Architectures", layers = "Layers"
    }
}

struct CodeShape: Decodable {
    var zipFile: String?
    var s3Bucket: String?
    var imageUri: String?
    enum CodingKeys: String, CodingKey { case zipFile = "ZipFile", s3Bucket = "S3Bucket", imageUri = "ImageUri" }
}

struct UpdateFunctionCodeRequest: Decodable {
    var zipFile: String?
    var s3Bucket: String?
    var imageUri: String?
    var publish: Bool?
    var dryRun: Bool?
    var revisionId: String?
    enum CodingKeys: String, CodingKey {
        case zipFile = "ZipFile", s3Bucket = "S3Bucket", imageUri = "ImageUri", publish = "Publish", dryRun = "DryRun", revisionId = "RevisionId"
    }
}

struct UpdateFunctionConfigurationRequest: Decodable {
    var runtime: String?
    var role: String?
    var handler: String?
    var description: String?
    var timeout: Int?
    var memorySize: Int?
    var environment: EnvironmentShape?
    var ephemeralStorage: EphemeralStorageShape?
    var revisionId: String?
    var layers: [String]?
    var environmentMode: String?
    enum CodingKeys: String, CodingKey {
        case environmentMode = "CorralEnvironmentMode"
        case runtime = "Runtime", role = "Role", handler = "Handler", description = "Description", timeout = "Timeout"
        case memorySize = "MemorySize", environment = "Environment", ephemeralStorage = "EphemeralStorage"
        case revisionId = "RevisionId", layers = "Layers"
    }
}

struct PublishVersionRequest: Decodable {
    var codeSha256: String?
    var description: String?
    var revisionId: String?
    enum CodingKeys: String, CodingKey { case codeSha256 = "CodeSha256", description = "Description", revisionId = "RevisionId" }
}

struct AliasRequest: Decodable {
    var name: String?
    var functionVersion: String?
    var description: String?
    var routingConfig: RoutingConfigShape?
    var revisionId: String?
    enum CodingKeys: String, CodingKey {
        case name = "Name", functionVersion = "FunctionVersion", description = "Description", routingConfig = "RoutingConfig"
        case revisionId = "RevisionId"
    }
}
