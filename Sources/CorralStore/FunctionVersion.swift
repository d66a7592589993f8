import CorralFunctions
import Foundation

/// One version of a function as stored: `$LATEST` (mutable) or a published number (frozen).
public struct FunctionVersion: Equatable, Sendable {
    public var account: String
    public var name: String
    /// `$LATEST` or a number.
    public var version: String
    public var settings: FunctionSettings
    public var code: CodeReference
    /// A UUID, new on every change of this version.
    public var revisionID: String
    public var lastModified: Date

    public init(account: String, name: String, version: String, settings: FunctionSettings, code: CodeReference,
                revisionID: String, lastModified: Date) {
        self.account = account
        self.name = name
        self.version = version
        self.settings = settings
        self.code = code
        self.revisionID = revisionID
        self.lastModified = lastModified
    }
}

/// The code package a version runs (see CorralCode's CodeStore).
public struct CodeReference: Equatable, Sendable, Codable {
    /// Hex SHA-256: the package's name in the code store.
    public var digest: String
    /// base64 SHA-256, as Lambda shows it.
    public var sha256: String
    public var size: Int

    public init(digest: String, sha256: String, size: Int) {
        self.digest = digest
        self.sha256 = sha256
        self.size = size
    }
}

/// An alias: a name for a version, optionally sending a share of invocations to a second version.
public struct FunctionAlias: Equatable, Sendable {
    public var account: String
    public var function: String
    public var name: String
    public var functionVersion: String
    public var description: String
    /// Version -> weight (0...1) of invocations routed to it instead of `functionVersion`.
    public var additionalVersionWeights: [String: Double]
    public var revisionID: String

    public init(account: String, function: String, name: String, functionVersion: String, description: String = "",
                additionalVersionWeights: [String: Double] = [:], revisionID: String) {
        self.account = account
        self.function = function
        self.name = name
        self.functionVersion = functionVersion
        self.description = description
        self.additionalVersionWeights = additionalVersionWeights
        self.revisionID = revisionID
    }
}

/// A page of a listing and the marker of the next page (nil on the last).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextMarker: String?
}
