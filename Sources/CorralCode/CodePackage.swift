/// A stored code package: the zip as uploaded, and its unpacked, read-only tree.
public struct CodePackage: Equatable, Sendable {
    /// Hex SHA-256 of the zip: the package's name in the store.
    public var digest: String
    /// What Lambda calls CodeSha256: base64 of the zip's SHA-256.
    public var codeSha256: String
    /// Bytes of the zip (Lambda's CodeSize).
    public var size: Int
    /// The unpacked tree, mounted read-only at /var/task in the sandbox.
    public var directory: String

    public init(digest: String, codeSha256: String, size: Int, directory: String) {
        self.digest = digest
        self.codeSha256 = codeSha256
        self.size = size
        self.directory = directory
    }
}
