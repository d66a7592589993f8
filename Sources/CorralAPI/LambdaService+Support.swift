import CorralCode
import CorralFunctions
import CorralStore
import Foundation

/// What every operation shares: naming, lookups, code storage and the configuration shape.
extension LambdaService {
    /// Parses a FunctionName from the path (percent-decoded by the route) with an optional Qualifier. An ARN
    /// naming another account or region is reported as not found: a tenant never learns what exists elsewhere.
    func reference(_ caller: Caller, _ functionName: String, qualifier: String?) throws(LambdaError) -> FunctionReference {
        let reference: FunctionReference
        do {
            reference = try FunctionReference.parse(functionName).qualified(by: qualifier)
        } catch {
            throw LambdaError.from(error)
        }
        if let account = reference.account, account != caller.account { throw .notFound("Function not found: \(functionName)") }
        if let region = reference.region, region != caller.region { throw .notFound("Function not found: \(functionName)") }
        return reference
    }

    func resolve(_ caller: Caller, _ functionName: String, qualifier: String?) throws(LambdaError) -> FunctionVersion {
        let reference = try reference(caller, functionName, qualifier: qualifier)
        return try call { () throws(StoreError) in
            try functions.version(account: caller.account, name: reference.name, qualifier: reference.qualifier)
        }
    }

    func call<T>(_ body: () throws(StoreError) -> T) throws(LambdaError) -> T {
        do {
            return try body()
        } catch {
            throw LambdaError.from(error)
        }
    }

    /// The tenant's function-count and code-storage quotas, for `functions` more functions and `codeBytes`
    /// more bytes of code (400: InvalidParameterValueException, CodeStorageExceededException).
    func checkUsage(_ caller: Caller, addingFunctions newFunctions: Int = 0, codeBytes: Int) throws(LambdaError) {
        guard let quotas = quotas(caller.account) else { return }
        let usage = try call { () throws(StoreError) in try functions.usage(account: caller.account) }
        if newFunctions > 0, usage.functions + newFunctions > quotas.functions {
            throw .invalidParameter("This account's quota of \(quotas.functions) functions is reached")
        }
        if usage.codeBytes + codeBytes > quotas.codeStorageBytes {
            throw LambdaError(status: 400, type: "CodeStorageExceededException",
                              message: "Code storage limit exceeded: \(usage.codeBytes + codeBytes) bytes over this account's quota of \(quotas.codeStorageBytes)")
        }
    }

    /// The settings' own rules, this host's runtimes, and the caller's tenant quotas (400 above them).
    /// Checks `settings` against Lambda's rules and the account's quotas, and the Role when `checkRole` is
    /// set (CreateFunction, and an UpdateFunctionConfiguration that changes it, as Lambda does).
    func validate(_ settings: FunctionSettings, for caller: Caller, checkRole: Bool = true) throws(LambdaError) {
        do {
            try settings.validate()
        } catch {
            throw LambdaError.from(error)
        }
        if checkRole { try roles?.check(account: caller.account, roleARN: settings.role) }
        if let quotas = quotas(caller.account) {
            if settings.memorySize > quotas.memorySizeMB {
                throw .invalidParameter("MemorySize \(settings.memorySize) MB is over this account's quota of \(quotas.memorySizeMB) MB")
            }
            if settings.timeout > quotas.timeoutSeconds {
                throw .invalidParameter("Timeout \(settings.timeout) s is over this account's quota of \(quotas.timeoutSeconds) s")
            }
            if settings.ephemeralStorage > quotas.ephemeralStorageMB {
                throw .invalidParameter("EphemeralStorage \(settings.ephemeralStorage) MB is over this account's quota of \(quotas.ephemeralStorageMB) MB")
            }
        }
        let available = availableRuntimes()
        guard available.contains(settings.runtime) else {
            throw .invalidParameter("The runtime parameter of \(settings.runtime) is not available on this host. Available runtimes: \(available.joined(separator: ", "))")
        }
    }

    static func checkUnsupported(layers: [String]?, architectures: [String]?) throws(LambdaError) {
        if let layers, !layers.isEmpty { throw .unsupported("Layers are not supported by Corral") }
        if let architectures, architectures != [hostArchitecture] {
            throw .invalidParameter("Architectures \(architectures): this host runs \(hostArchitecture) only")
        }
    }

    static var hostArchitecture: String {
        #if arch(arm64)
        return "arm64"
        #else
        return "x86_64"
        #endif
    }

    /// The zip bytes of a request's Code, refusing the forms Corral does not take.
    static func decodeZip(_ zipFile: String?, s3Bucket: String?, imageUri: String?) throws(LambdaError) -> [UInt8] {
        if s3Bucket != nil { throw .unsupported("Code from S3 is not supported by Corral: send the zip as ZipFile") }
        if imageUri != nil { throw .unsupported("Container images are not supported by Corral: send the zip as ZipFile") }
        guard let zipFile else { throw .invalidParameter("Code.ZipFile is required") }
        guard let bytes = Data(base64Encoded: zipFile) else { throw .invalidParameter("ZipFile is not valid base64") }
        return Array(bytes)
    }

    /// Stores `zip` (checked and unpacked, or found stored), runs `commit` with it, and ends the store's
    /// hold on the package. When `commit` throws, or `keep` is false (a dry run), the package is removed
    /// again unless some function version uses it. The caller checks the code-storage quota before, so a
    /// package over it is never written.
    func withStoredCode<T>(_ zip: [UInt8], keep: Bool = true, _ commit: (CodeReference) throws(LambdaError) -> T) throws(LambdaError) -> T {
        let package: CodePackage
        do {
            package = try code.store(zip: zip)
        } catch {
            throw LambdaError.from(error)
        }
        let reference = CodeReference(digest: package.digest, sha256: package.codeSha256, size: package.size)
        do {
            let result = try commit(reference)
            code.release(package.digest)
            if !keep { dropUnusedCode([package.digest]) }
            return result
        } catch {
            code.release(package.digest)
            dropUnusedCode([package.digest])
            throw error
        }
    }

    /// Removes the packages among `digests` that no function version uses any more and no store holds.
    func dropUnusedCode(_ digests: [String]) {
        code.removeUnused(digests) { try? functions.codeDigestsInUse() }
    }

    static func maxItems(_ text: String?) throws(LambdaError) -> Int {
        guard let text else { return pageLimit }
        guard let value = Int(text), value >= 1, value <= 10_000 else { throw .invalidParameter("MaxItems must be a number from 1 to 10000") }
        return min(value, pageLimit)
    }

    func configuration(_ caller: Caller, _ version: FunctionVersion, qualified: Bool, listing: Bool = false) -> FunctionConfigurationShape {
        let s = version.settings
        let arn = FunctionARN(region: caller.region, account: caller.account, name: version.name, qualifier: qualified ? version.version : nil)
        return FunctionConfigurationShape(
            functionName: version.name, functionArn: arn.description, runtime: s.runtime, role: s.role, handler: s.handler,
            codeSize: version.code.size, description: s.description, timeout: s.timeout, memorySize: s.memorySize,
            lastModified: LambdaJSON.timestamp(version.lastModified), codeSha256: version.code.sha256, version: version.version,
            environment: s.environment.isEmpty ? nil : EnvironmentShape(variables: s.environment), revisionId: version.revisionID,
            ephemeralStorage: EphemeralStorageShape(size: s.ephemeralStorage), state: listing ? nil : "Active",
            lastUpdateStatus: listing ? nil : "Successful", loggingConfig: LoggingConfigShape(logGroup: "/aws/lambda/\(version.name)"),
            environmentMode: s.environmentMode == .fresh ? "fresh" : nil)
    }

    /// The CorralEnvironmentMode field: reuse or fresh.
    static func environmentMode(_ text: String?) throws(LambdaError) -> FunctionSettings.EnvironmentMode? {
        guard let text else { return nil }
        guard let mode = FunctionSettings.EnvironmentMode(rawValue: text) else {
            throw .invalidParameter("CorralEnvironmentMode must be reuse or fresh, not '\(text)'")
        }
        return mode
    }
}
