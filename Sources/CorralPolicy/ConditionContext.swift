import Foundation

/// The request's condition keys and their values, as policy conditions and policy variables read them.
///
/// Key names are case-insensitive (`aws:SourceIp` is `AWS:sourceip`). A key may hold several values
/// (multivalued keys such as tag keys). A key that is not set is *missing*, which drives IAM's
/// missing-key rules; setting a key to an empty list removes it, because a key with no values is missing.
public struct ConditionContext: Sendable, Equatable {
    private struct Entry: Sendable, Equatable {
        var name: String
        var values: [String]
    }

    /// Keyed by the lowercased name.
    private var entries: [String: Entry] = [:]

    public init() {}

    /// A context holding `values` (key names as given).
    public init(_ values: [String: [String]]) {
        for (key, list) in values { set(key, to: list) }
    }

    /// The values of `key`, or nil when the key is missing.
    public func values(for key: String) -> [String]? {
        entries[key.lowercased()]?.values
    }

    /// True when `key` has at least one value.
    public func contains(_ key: String) -> Bool {
        entries[key.lowercased()] != nil
    }

    /// The key names, as they were set, sorted.
    public var keys: [String] {
        entries.values.map(\.name).sorted()
    }

    /// Sets `key` to one value.
    public mutating func set(_ key: String, to value: String) {
        set(key, to: [value])
    }

    /// Sets `key` to `values`; an empty list removes the key.
    public mutating func set(_ key: String, to values: [String]) {
        if values.isEmpty {
            entries[key.lowercased()] = nil
        } else {
            entries[key.lowercased()] = Entry(name: key, values: values)
        }
    }

    /// Removes `key`, so it is missing.
    public mutating func remove(_ key: String) {
        entries[key.lowercased()] = nil
    }

    /// The single value of `key` (the first when there are several), or nil when it is missing.
    public subscript(key: String) -> String? {
        get { values(for: key)?.first }
        set {
            if let newValue { set(key, to: newValue) } else { remove(key) }
        }
    }

    // MARK: Well-known keys

    /// `aws:SourceIp`: the caller's IP address.
    public var sourceIp: String? {
        get { self["aws:SourceIp"] }
        set { self["aws:SourceIp"] = newValue }
    }

    /// `aws:PrincipalAccount`: the 12-digit account of the caller.
    public var principalAccount: String? {
        get { self["aws:PrincipalAccount"] }
        set { self["aws:PrincipalAccount"] = newValue }
    }

    /// `aws:PrincipalArn`: the caller's ARN.
    public var principalArn: String? {
        get { self["aws:PrincipalArn"] }
        set { self["aws:PrincipalArn"] = newValue }
    }

    /// `aws:username`: the caller's friendly name.
    public var username: String? {
        get { self["aws:username"] }
        set { self["aws:username"] = newValue }
    }

    /// `aws:userid`: the caller's unique id.
    public var userid: String? {
        get { self["aws:userid"] }
        set { self["aws:userid"] = newValue }
    }

    /// `lambda:FunctionArn`: the ARN of the function the request is about.
    public var functionArn: String? {
        get { self["lambda:FunctionArn"] }
        set { self["lambda:FunctionArn"] = newValue }
    }

    /// Sets `aws:CurrentTime` to `date` in ISO 8601 UTC (`2024-05-01T12:00:00Z`, whole seconds).
    public mutating func setCurrentTime(_ date: Date) {
        self["aws:CurrentTime"] = PolicyDate.iso8601(date)
    }

    /// Sets `aws:EpochTime` to `date` in whole seconds since 1970.
    public mutating func setEpochTime(_ date: Date) {
        self["aws:EpochTime"] = String(Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// Sets both `aws:CurrentTime` and `aws:EpochTime` to `date`, as AWS does for every request.
    public mutating func setRequestTime(_ date: Date) {
        setCurrentTime(date)
        setEpochTime(date)
    }
}
