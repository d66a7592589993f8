import CorralFunctions
import CorralPool
import CorralRuntime
import CorralStore
import Foundation

/// Reserved concurrency (PutFunctionConcurrency and its Get and Delete) and provisioned concurrency
/// (PutProvisionedConcurrencyConfig and its Get, Delete and List). Settings are stored, then applied to the
/// warm pool; the server applies them again when it starts.
extension LambdaService {
    struct ReservedConcurrencyShape: Codable {
        var reservedConcurrentExecutions: Int?
        enum CodingKeys: String, CodingKey { case reservedConcurrentExecutions = "ReservedConcurrentExecutions" }
    }

    struct ProvisionedRequest: Decodable {
        var provisionedConcurrentExecutions: Int?
        enum CodingKeys: String, CodingKey { case provisionedConcurrentExecutions = "ProvisionedConcurrentExecutions" }
    }

    struct ProvisionedShape: Encodable {
        var functionArn: String?
        var requested: Int
        var available: Int
        var allocated: Int
        var status: String
        var statusReason: String?
        var lastModified: String
        enum CodingKeys: String, CodingKey {
            case functionArn = "FunctionArn", requested = "RequestedProvisionedConcurrentExecutions"
            case available = "AvailableProvisionedConcurrentExecutions", allocated = "AllocatedProvisionedConcurrentExecutions"
            case status = "Status", statusReason = "StatusReason", lastModified = "LastModified"
        }
    }

    struct ProvisionedListShape: Encodable {
        var configs: [ProvisionedShape]
        enum CodingKeys: String, CodingKey { case configs = "ProvisionedConcurrencyConfigs" }
    }

    // MARK: Reserved

    func putFunctionConcurrency(_ caller: Caller, _ name: String, _ body: [UInt8]) async throws(LambdaError) -> ReservedConcurrencyShape {
        let request = try LambdaJSON.decode(ReservedConcurrencyShape.self, from: body)
        let reference = try unqualified(caller, name)
        guard let reserved = request.reservedConcurrentExecutions else { throw .invalidParameter("ReservedConcurrentExecutions is required") }
        guard reserved >= 0 else { throw .invalidParameter("ReservedConcurrentExecutions must be 0 or more, not \(reserved)") }
        if let invoker {
            let budget = invoker.configuration.budget.environments
            guard reserved <= budget else {
                throw .invalidParameter("Specified ReservedConcurrentExecutions for function (\(reserved)) exceeds this host's capacity of \(budget) execution environments")
            }
        }
        let provisioned = try call { () throws(StoreError) in try functions.listProvisionedConcurrency(account: caller.account, function: reference.name) }
        let total = provisioned.reduce(0) { $0 + $1.requested }
        guard reserved >= total else {
            throw .invalidParameter("ReservedConcurrentExecutions (\(reserved)) must be at least the function's provisioned concurrency (\(total))")
        }
        try call { () throws(StoreError) in try functions.putReservedConcurrency(account: caller.account, function: reference.name, reserved) }
        await invoker?.setReservedConcurrency(account: caller.account, function: reference.name, reserved)
        return ReservedConcurrencyShape(reservedConcurrentExecutions: reserved)
    }

    func getFunctionConcurrency(_ caller: Caller, _ name: String) throws(LambdaError) -> ReservedConcurrencyShape {
        let reference = try unqualified(caller, name)
        let reserved = try call { () throws(StoreError) in try functions.reservedConcurrency(account: caller.account, function: reference.name) }
        return ReservedConcurrencyShape(reservedConcurrentExecutions: reserved)
    }

    func deleteFunctionConcurrency(_ caller: Caller, _ name: String) async throws(LambdaError) {
        let reference = try unqualified(caller, name)
        try call { () throws(StoreError) in try functions.deleteReservedConcurrency(account: caller.account, function: reference.name) }
        await invoker?.setReservedConcurrency(account: caller.account, function: reference.name, nil)
    }

    // MARK: Provisioned

    func putProvisionedConcurrency(_ caller: Caller, _ name: String, qualifier: String?, _ body: [UInt8]) async throws(LambdaError) -> ProvisionedShape {
        let request = try LambdaJSON.decode(ProvisionedRequest.self, from: body)
        let (reference, qualifier) = try provisionedTarget(caller, name, qualifier)
        guard let requested = request.provisionedConcurrentExecutions else { throw .invalidParameter("ProvisionedConcurrentExecutions is required") }
        guard requested >= 1 else { throw .invalidParameter("ProvisionedConcurrentExecutions must be at least 1, not \(requested)") }
        let version = try call { () throws(StoreError) in try functions.version(account: caller.account, name: reference.name, qualifier: qualifier) }
        let others = try call { () throws(StoreError) in try functions.listProvisionedConcurrency(account: caller.account, function: reference.name) }
            .filter { $0.qualifier != qualifier }.reduce(0) { $0 + $1.requested }
        if let reserved = try call({ () throws(StoreError) in try functions.reservedConcurrency(account: caller.account, function: reference.name) }),
           others + requested > reserved {
            throw .invalidParameter("Requested Provisioned Concurrency (\(others + requested) in all) exceeds the function's reserved concurrency (\(reserved))")
        }
        if let invoker {
            let budget = invoker.configuration.budget
            guard requested <= budget.environments, requested * version.settings.memorySize <= budget.memoryMB else {
                throw .invalidParameter("Requested Provisioned Concurrency (\(requested) x \(version.settings.memorySize) MB) exceeds this host's capacity (\(budget.environments) environments, \(budget.memoryMB) MB)")
            }
        }
        let stored = try call { () throws(StoreError) in
            try functions.putProvisionedConcurrency(account: caller.account, function: reference.name, qualifier: qualifier, requested: requested)
        }
        let id = ProvisionedID(account: caller.account, function: reference.name, qualifier: qualifier)
        await invoker?.setProvisionedConcurrency(id, version: version, requested: requested)
        return await provisionedShape(caller, stored, listing: false)
    }

    func getProvisionedConcurrency(_ caller: Caller, _ name: String, qualifier: String?) async throws(LambdaError) -> ProvisionedShape {
        let (reference, qualifier) = try provisionedTarget(caller, name, qualifier)
        guard let stored = try call({ () throws(StoreError) in
            try functions.provisionedConcurrency(account: caller.account, function: reference.name, qualifier: qualifier)
        }) else {
            throw .provisionedNotFound("No Provisioned Concurrency Config found for this function")
        }
        return await provisionedShape(caller, stored, listing: false)
    }

    func deleteProvisionedConcurrency(_ caller: Caller, _ name: String, qualifier: String?) async throws(LambdaError) {
        let (reference, qualifier) = try provisionedTarget(caller, name, qualifier)
        _ = try call { () throws(StoreError) in
            try functions.deleteProvisionedConcurrency(account: caller.account, function: reference.name, qualifier: qualifier)
        }
        await invoker?.setProvisionedConcurrency(ProvisionedID(account: caller.account, function: reference.name, qualifier: qualifier), version: nil, requested: 0)
    }

    func listProvisionedConcurrency(_ caller: Caller, _ name: String) async throws(LambdaError) -> ProvisionedListShape {
        let reference = try unqualified(caller, name)
        let stored = try call { () throws(StoreError) in try functions.listProvisionedConcurrency(account: caller.account, function: reference.name) }
        var configs: [ProvisionedShape] = []
        for config in stored { configs.append(await provisionedShape(caller, config, listing: true)) }
        return ProvisionedListShape(configs: configs)
    }

    /// Applies every stored setting to the warm pool: the server calls it once at start.
    public func restoreConcurrency() async throws(LambdaError) {
        guard let invoker else { return }
        for (account, function, reserved) in try call({ () throws(StoreError) in try functions.allReservedConcurrency() }) {
            await invoker.setReservedConcurrency(account: account, function: function, reserved)
        }
        for config in try call({ () throws(StoreError) in try functions.listProvisionedConcurrency() }) {
            guard let version = try? functions.version(account: config.account, name: config.function, qualifier: config.qualifier) else { continue }
            await invoker.setProvisionedConcurrency(ProvisionedID(account: config.account, function: config.function, qualifier: config.qualifier),
                                                    version: version, requested: config.requested)
        }
    }

    /// An alias now points elsewhere (or went): its provisioned environments follow it.
    func realignProvisioned(_ caller: Caller, function: String, alias: String) async {
        guard let invoker else { return }
        let id = ProvisionedID(account: caller.account, function: function, qualifier: alias)
        guard let config = try? functions.provisionedConcurrency(account: caller.account, function: function, qualifier: alias),
              let version = try? functions.version(account: caller.account, name: function, qualifier: alias) else {
            await invoker.setProvisionedConcurrency(id, version: nil, requested: 0)
            return
        }
        await invoker.setProvisionedConcurrency(id, version: version, requested: config.requested)
    }

    /// The function (or some of its versions) went: its pool settings go with it.
    func forgetConcurrency(_ caller: Caller, function: String, qualifiers: [String], reserved: Bool) async {
        guard let invoker else { return }
        if reserved { await invoker.setReservedConcurrency(account: caller.account, function: function, nil) }
        for qualifier in qualifiers {
            await invoker.setProvisionedConcurrency(ProvisionedID(account: caller.account, function: function, qualifier: qualifier), version: nil, requested: 0)
        }
    }

    private func unqualified(_ caller: Caller, _ name: String) throws(LambdaError) -> FunctionReference {
        let reference = try reference(caller, name, qualifier: nil)
        guard reference.qualifier == nil else { throw .invalidParameter("FunctionName must not carry a qualifier for this operation") }
        _ = try resolve(caller, reference.name, qualifier: nil)
        return reference
    }

    /// Provisioned concurrency applies to a published version or an alias, never to $LATEST.
    private func provisionedTarget(_ caller: Caller, _ name: String, _ qualifier: String?) throws(LambdaError) -> (FunctionReference, String) {
        let reference = try reference(caller, name, qualifier: qualifier)
        guard let qualifier = reference.qualifier else { throw .invalidParameter("Qualifier is required: a published version number or an alias name") }
        guard qualifier != "$LATEST" else { throw .invalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished function versions.") }
        _ = try resolve(caller, reference.name, qualifier: qualifier)
        return (reference, qualifier)
    }

    private func provisionedShape(_ caller: Caller, _ config: ProvisionedConcurrency, listing: Bool) async -> ProvisionedShape {
        let id = ProvisionedID(account: config.account, function: config.function, qualifier: config.qualifier)
        let status = await invoker?.provisionedStatus(id)
        let available = status?.available ?? 0
        let state = available >= config.requested ? "READY" : (status?.failure != nil ? "FAILED" : "IN_PROGRESS")
        let arn = FunctionARN(region: caller.region, account: caller.account, name: config.function, qualifier: config.qualifier)
        return ProvisionedShape(functionArn: listing ? arn.description : nil, requested: config.requested, available: available,
                                allocated: status?.allocated ?? 0, status: state,
                                statusReason: state == "FAILED" ? status?.failure.map { "An environment failed to initialize: \($0)" } : nil,
                                lastModified: LambdaJSON.timestamp(config.lastModified))
    }
}
