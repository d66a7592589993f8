import CorralCode
import CorralRuntime
import CorralFunctions
import CorralStore
import Foundation

/// The Lambda control plane without HTTP: each operation takes the caller and the decoded request and
/// returns the response shape, or throws a `LambdaError`. Routes (LambdaRoutes) only translate.
public final class LambdaService: Sendable {
    let functions: FunctionStore
    let code: CodeStore
    /// The runtime identifiers this host can run (python3.11, nodejs20.x, provided, ...).
    let availableRuntimes: @Sendable () -> [String]
    /// Base URL for GetFunction's Code.Location.
    let publicURL: String
    /// Runs invocations; nil in a server that only manages functions (and in router tests).
    let invoker: Invoker?
    /// A tenant's quotas by account (nil: none, as in route tests): its functions' settings stay within them.
    let quotas: @Sendable (String) -> TenantQuotas?
    /// Checks functions' Role against the account's execution roles (nil: any role ARN is taken, as in
    /// route tests).
    let roles: ExecutionRoles?
    /// Signs GetFunction's Code.Location (a key of its own per process unless the server passes its own).
    let codeURLs: CodeURLSigner

    public init(functions: FunctionStore, code: CodeStore, publicURL: String, invoker: Invoker? = nil,
                quotas: @escaping @Sendable (String) -> TenantQuotas? = { _ in nil }, roles: ExecutionRoles? = nil,
                codeURLs: CodeURLSigner = .random(),
                availableRuntimes: @escaping @Sendable () -> [String]) {
        self.codeURLs = codeURLs
        self.quotas = quotas
        self.roles = roles
        self.functions = functions
        self.code = code
        self.publicURL = publicURL
        self.invoker = invoker
        self.availableRuntimes = availableRuntimes
    }

    /// ListFunctions, ListVersionsByFunction and ListAliases return at most this many items per page.
    static let pageLimit = 50

    // MARK: Functions

    func createFunction(_ caller: Caller, _ body: [UInt8]) throws(LambdaError) -> FunctionConfigurationShape {
        let request = try LambdaJSON.decode(CreateFunctionRequest.self, from: body)
        guard let functionName = request.functionName else { throw .invalidParameter("FunctionName is required") }
        let reference = try reference(caller, functionName, qualifier: nil)
        guard reference.qualifier == nil else { throw .invalidParameter("FunctionName must not carry a qualifier when creating a function") }
        guard request.packageType == nil || request.packageType == "Zip" else {
            throw .unsupported("PackageType \(request.packageType ?? ""): Corral runs Zip packages only")
        }
        try Self.checkUnsupported(layers: request.layers, architectures: request.architectures)
        guard let role = request.role else { throw .invalidParameter("Role is required") }
        guard let runtime = request.runtime else { throw .invalidParameter("Runtime is required for a Zip package") }
        guard let handler = request.handler else { throw .invalidParameter("Handler is required for a Zip package") }
        var settings = FunctionSettings(runtime: runtime, handler: handler, role: role)
        settings.memorySize = request.memorySize ?? settings.memorySize
        settings.timeout = request.timeout ?? settings.timeout
        settings.environment = request.environment?.variables ?? [:]
        settings.ephemeralStorage = request.ephemeralStorage?.size ?? settings.ephemeralStorage
        settings.description = request.description ?? ""
        settings.environmentMode = try Self.environmentMode(request.environmentMode)
        try validate(settings, for: caller)
        let zip = try Self.decodeZip(request.code?.zipFile, s3Bucket: request.code?.s3Bucket, imageUri: request.code?.imageUri)
        let codeBytes = zip.count * (request.publish == true ? 2 : 1)
        // The quota before anything is written, and again just before the commit (others may have landed).
        try checkUsage(caller, addingFunctions: 1, codeBytes: codeBytes)
        return try withStoredCode(zip) { (package) throws(LambdaError) in
            try checkUsage(caller, addingFunctions: 1, codeBytes: codeBytes)
            let created = try call { () throws(StoreError) in
                try functions.createFunction(account: caller.account, name: reference.name, settings: settings, code: package,
                                             publish: request.publish ?? false)
            }
            // CreateFunction answers with $LATEST's configuration, or version 1's when published.
            guard let answered = created.last else { throw LambdaError.service("CreateFunction stored no version") }
            return configuration(caller, answered, qualified: created.count > 1)
        }
    }

    func getFunction(_ caller: Caller, _ name: String, qualifier: String?) throws(LambdaError) -> GetFunctionShape {
        let version = try resolve(caller, name, qualifier: qualifier)
        let reserved = try call { () throws(StoreError) in try functions.reservedConcurrency(account: caller.account, function: version.name) }
        return GetFunctionShape(configuration: configuration(caller, version, qualified: version.version != "$LATEST"),
                                code: CodeLocationShape(location: codeURLs.location(base: publicURL, account: caller.account, digest: version.code.digest,
                                                                                    credential: caller.accessKeyID ?? "")),
                                concurrency: reserved.map(ConcurrencyShape.init))
    }

    func getFunctionConfiguration(_ caller: Caller, _ name: String, qualifier: String?) throws(LambdaError) -> FunctionConfigurationShape {
        let version = try resolve(caller, name, qualifier: qualifier)
        return configuration(caller, version, qualified: version.version != "$LATEST")
    }

    func listFunctions(_ caller: Caller, marker: String?, maxItems: String?) throws(LambdaError) -> FunctionListShape {
        let limit = try Self.maxItems(maxItems)
        let page = try call { () throws(StoreError) in
            try functions.listFunctions(account: caller.account, marker: marker, maxItems: limit)
        }
        return FunctionListShape(functions: page.items.map { configuration(caller, $0, qualified: false, listing: true) },
                                 nextMarker: page.nextMarker)
    }

    func updateFunctionCode(_ caller: Caller, _ name: String, _ body: [UInt8]) throws(LambdaError) -> FunctionConfigurationShape {
        let request = try LambdaJSON.decode(UpdateFunctionCodeRequest.self, from: body)
        let reference = try reference(caller, name, qualifier: nil)
        let current = try resolve(caller, name, qualifier: nil)
        let zip = try Self.decodeZip(request.zipFile, s3Bucket: request.s3Bucket, imageUri: request.imageUri)
        let codeBytes = zip.count - current.code.size + (request.publish == true ? zip.count : 0)
        try checkUsage(caller, codeBytes: codeBytes)
        if request.dryRun == true {
            // Validate the package as a real update would (unpacked and checked), then forget it.
            try withStoredCode(zip, keep: false) { (_) throws(LambdaError) in }
            return configuration(caller, current, qualified: false)
        }
        let updated = try withStoredCode(zip) { (package) throws(LambdaError) -> FunctionVersion in
            try checkUsage(caller, codeBytes: codeBytes)
            return try call { () throws(StoreError) in
                try functions.updateCode(account: caller.account, name: reference.name, code: package, revisionID: request.revisionId)
            }
        }
        dropUnusedCode([current.code.digest])
        drain(caller, reference.name, version: "$LATEST")
        if request.publish == true {
            let published = try call { () throws(StoreError) in
                try functions.publishVersion(account: caller.account, name: reference.name, codeSha256: nil, revisionID: nil, description: nil)
            }
            return configuration(caller, published, qualified: true)
        }
        return configuration(caller, updated, qualified: false)
    }

    func updateFunctionConfiguration(_ caller: Caller, _ name: String, _ body: [UInt8]) throws(LambdaError) -> FunctionConfigurationShape {
        let request = try LambdaJSON.decode(UpdateFunctionConfigurationRequest.self, from: body)
        try Self.checkUnsupported(layers: request.layers, architectures: nil)
        let reference = try reference(caller, name, qualifier: nil)
        let current = try resolve(caller, name, qualifier: nil)
        var settings = current.settings
        if let runtime = request.runtime { settings.runtime = runtime }
        if let role = request.role { settings.role = role }
        if let handler = request.handler { settings.handler = handler }
        if let description = request.description { settings.description = description }
        if let timeout = request.timeout { settings.timeout = timeout }
        if let memorySize = request.memorySize { settings.memorySize = memorySize }
        if let environment = request.environment { settings.environment = environment.variables ?? [:] }
        if let storage = request.ephemeralStorage { settings.ephemeralStorage = storage.size }
        if let mode = try Self.environmentMode(request.environmentMode) { settings.environmentMode = mode }
        try validate(settings, for: caller, checkRole: request.role != nil)
        let updated = try call { () throws(StoreError) in
            try functions.updateSettings(account: caller.account, name: reference.name, settings: settings, revisionID: request.revisionId)
        }
        drain(caller, reference.name, version: "$LATEST")
        return configuration(caller, updated, qualified: false)
    }

    func deleteFunction(_ caller: Caller, _ name: String, qualifier: String?) async throws(LambdaError) {
        let reference = try reference(caller, name, qualifier: qualifier)
        if let qualifier = reference.qualifier {
            guard qualifier != "$LATEST" else { throw .invalidParameter("$LATEST version cannot be deleted without deleting the function.") }
            guard FunctionNames.isVersionNumber(qualifier) else {
                throw .invalidParameter("Deletion of aliases is not supported by DeleteFunction; use DeleteAlias")
            }
        }
        let configured = (try? functions.listProvisionedConcurrency(account: caller.account, function: reference.name)) ?? []
        let freed = try call { () throws(StoreError) in
            try functions.delete(account: caller.account, name: reference.name, version: reference.qualifier)
        }
        dropUnusedCode(freed)
        if let version = reference.qualifier {
            await forgetConcurrency(caller, function: reference.name, qualifiers: configured.map(\.qualifier).filter { $0 == version }, reserved: false)
        } else {
            await forgetConcurrency(caller, function: reference.name, qualifiers: configured.map(\.qualifier), reserved: true)
        }
        if let version = reference.qualifier {
            await invoker?.drain(account: caller.account, function: reference.name, version: version)
        } else {
            await invoker?.functionDeleted(account: caller.account, function: reference.name)
        }
    }

    /// A version changed: new invocations get new environments at once; idle old ones go now, busy ones
    /// when their invocation ends. (Environments are keyed by revision, so the order with later
    /// invocations does not matter.)
    func drain(_ caller: Caller, _ function: String, version: String) {
        guard let invoker else { return }
        Task { await invoker.drain(account: caller.account, function: function, version: version) }
    }

    // MARK: Versions

    func publishVersion(_ caller: Caller, _ name: String, _ body: [UInt8]) throws(LambdaError) -> FunctionConfigurationShape {
        let request = try LambdaJSON.decode(PublishVersionRequest.self, from: body)
        let reference = try reference(caller, name, qualifier: nil)
        if let description = request.description, description.count > 256 { throw .invalidParameter("Description is longer than 256 characters") }
        try checkUsage(caller, codeBytes: try resolve(caller, name, qualifier: nil).code.size)
        let published = try call { () throws(StoreError) in
            try functions.publishVersion(account: caller.account, name: reference.name, codeSha256: request.codeSha256,
                                         revisionID: request.revisionId, description: request.description)
        }
        return configuration(caller, published, qualified: true)
    }

    func listVersions(_ caller: Caller, _ name: String, marker: String?, maxItems: String?) throws(LambdaError) -> VersionListShape {
        let reference = try reference(caller, name, qualifier: nil)
        let limit = try Self.maxItems(maxItems)
        let page = try call { () throws(StoreError) in
            try functions.listVersions(account: caller.account, name: reference.name, marker: marker, maxItems: limit)
        }
        return VersionListShape(versions: page.items.map { configuration(caller, $0, qualified: true, listing: true) }, nextMarker: page.nextMarker)
    }
}
