/// How big a package may be once unpacked. Defaults are Lambda's (250 MB unzipped) plus an entry cap.
public struct PackageLimits: Equatable, Sendable {
    public var unpackedBytes: UInt64
    public var entries: Int

    public init(unpackedBytes: UInt64 = 250 << 20, entries: Int = 20_000) {
        self.unpackedBytes = unpackedBytes
        self.entries = entries
    }
}
