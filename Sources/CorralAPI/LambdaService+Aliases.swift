import CorralFunctions
import CorralStore

/// CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases.
extension LambdaService {
    func createAlias(_ caller: Caller, _ name: String, _ body: [UInt8]) throws(LambdaError) -> AliasConfigurationShape {
        let request = try LambdaJSON.decode(AliasRequest.self, from: body)
        let reference = try reference(caller, name, qualifier: nil)
        guard let aliasName = request.name else { throw .invalidParameter("Name is required") }
        guard let version = request.functionVersion else { throw .invalidParameter("FunctionVersion is required") }
        try Self.checkAlias(name: aliasName, version: version, description: request.description, routing: request.routingConfig)
        let alias = FunctionAlias(account: caller.account, function: reference.name, name: aliasName, functionVersion: version,
                                  description: request.description ?? "",
                                  additionalVersionWeights: request.routingConfig?.additionalVersionWeights ?? [:], revisionID: "")
        let created = try call { () throws(StoreError) in try functions.createAlias(alias) }
        return shape(caller, created)
    }

    func getAlias(_ caller: Caller, _ name: String, alias: String) throws(LambdaError) -> AliasConfigurationShape {
        let reference = try reference(caller, name, qualifier: nil)
        let found = try call { () throws(StoreError) in try functions.alias(account: caller.account, function: reference.name, name: alias) }
        return shape(caller, found)
    }

    func updateAlias(_ caller: Caller, _ name: String, alias: String, _ body: [UInt8]) async throws(LambdaError) -> AliasConfigurationShape {
        let request = try LambdaJSON.decode(AliasRequest.self, from: body)
        let reference = try reference(caller, name, qualifier: nil)
        let current = try call { () throws(StoreError) in try functions.alias(account: caller.account, function: reference.name, name: alias) }
        try Self.checkAlias(name: alias, version: request.functionVersion ?? current.functionVersion, description: request.description,
                            routing: request.routingConfig)
        let updated = try call { () throws(StoreError) in
            try functions.updateAlias(account: caller.account, function: reference.name, name: alias, revisionID: request.revisionId) { a in
                if let version = request.functionVersion { a.functionVersion = version }
                if let description = request.description { a.description = description }
                if let routing = request.routingConfig { a.additionalVersionWeights = routing.additionalVersionWeights ?? [:] }
            }
        }
        await realignProvisioned(caller, function: reference.name, alias: alias)
        return shape(caller, updated)
    }

    func deleteAlias(_ caller: Caller, _ name: String, alias: String) async throws(LambdaError) {
        let reference = try reference(caller, name, qualifier: nil)
        try call { () throws(StoreError) in try functions.deleteAlias(account: caller.account, function: reference.name, name: alias) }
        await realignProvisioned(caller, function: reference.name, alias: alias)
    }

    func listAliases(_ caller: Caller, _ name: String, functionVersion: String?, marker: String?, maxItems: String?) throws(LambdaError) -> AliasListShape {
        let reference = try reference(caller, name, qualifier: nil)
        let limit = try Self.maxItems(maxItems)
        let page = try call { () throws(StoreError) in
            try functions.listAliases(account: caller.account, function: reference.name, functionVersion: functionVersion, marker: marker, maxItems: limit)
        }
        return AliasListShape(aliases: page.items.map { shape(caller, $0) }, nextMarker: page.nextMarker)
    }

    static func checkAlias(name: String, version: String, description: String?, routing: RoutingConfigShape?) throws(LambdaError) {
        guard FunctionNames.isAliasName(name) else { throw .invalidParameter("Name '\(name)' must be letters, digits, hyphens or underscores, and not only digits") }
        guard version == "$LATEST" || FunctionNames.isVersionNumber(version) else { throw .invalidParameter("FunctionVersion '\(version)' is not $LATEST or a version number") }
        if let description, description.count > 256 { throw .invalidParameter("Description is longer than 256 characters") }
        let weights = routing?.additionalVersionWeights ?? [:]
        guard weights.count <= 1 else { throw .invalidParameter("RoutingConfig may route to one additional version only") }
        for (extra, weight) in weights {
            guard FunctionNames.isVersionNumber(extra) else { throw .invalidParameter("RoutingConfig version '\(extra)' must be a published version number") }
            guard extra != version else { throw .invalidParameter("RoutingConfig must name a version other than the alias's FunctionVersion") }
            guard weight >= 0, weight <= 1 else { throw .invalidParameter("RoutingConfig weight \(weight) must be between 0.0 and 1.0") }
            guard version != "$LATEST" else { throw .invalidParameter("An alias routing weights must point to a published version, not $LATEST") }
        }
    }

    func shape(_ caller: Caller, _ alias: FunctionAlias) -> AliasConfigurationShape {
        let arn = FunctionARN(region: caller.region, account: caller.account, name: alias.function, qualifier: alias.name)
        return AliasConfigurationShape(aliasArn: arn.description, name: alias.name, functionVersion: alias.functionVersion,
                                       description: alias.description,
                                       routingConfig: alias.additionalVersionWeights.isEmpty ? nil : RoutingConfigShape(additionalVersionWeights: alias.additionalVersionWeights),
                                       revisionId: alias.revisionID)
    }
}
