/// The host uids and gids Corral hands to sandboxes: `blocks` blocks of 65536 ids from `first`, one
/// block per tenant. Block 0 is the operator's (`corral run`, `corral doctor`); tenants get 1 and up,
/// recorded in the store so a tenant keeps its block across restarts.
///
/// Within a tenant's block the first id is the tenant's own (the owner of its fsRoots, and the uid of
/// its reused environments); a fresh-mode environment runs as one of the other 65535, its gid still the
/// tenant's, so files stay shared within the tenant and no two tenants share an owner.
///
/// The default, 0x70000000 up to 0x7FFE0000, lies above systemd's container range (524288-1879048191)
/// and below its foreign range (0x7FFE0000-0x7FFEFFFF), far from /etc/login.defs' SUB_UID range (100000
/// and up). `conflicts` checks a pool against the host's own users, groups and subordinate ranges.
public struct HostIDPool: Sendable, Equatable, Codable, CustomStringConvertible {
    public var first: UInt32
    public var blocks: Int

    public static let blockSize: UInt32 = 65_536
    public static let `default` = HostIDPool(first: 0x7000_0000, blocks: 4094)
    /// Every environment ran as this host uid and gid before tenants had blocks; `FSRootOwnership`
    /// moves what a tenant's sandboxes wrote as it over to the tenant's block.
    public static let legacyID: UInt32 = 100_000

    public init(first: UInt32, blocks: Int) {
        self.first = first
        self.blocks = blocks
    }

    /// The pool's ids; nil when it does not fit below 2^31 (tools that keep ids in a signed int
    /// misread anything above), is empty, or starts among the host's system ids.
    public var ids: ClosedRange<UInt32>? {
        guard blocks >= 2, first >= 65_536 else { return nil }
        let last = UInt64(first) + UInt64(blocks) * UInt64(Self.blockSize) - 1
        guard last <= UInt64(Int32.max) else { return nil }
        return first...UInt32(last)
    }

    /// The first id of block `index`; nil past the pool (or for an invalid pool).
    public func blockStart(_ index: Int) -> UInt32? {
        guard ids != nil, index >= 0, index < blocks else { return nil }
        return first + UInt32(index) * Self.blockSize
    }

    /// The block `id` starts, if it starts one.
    public func blockIndex(startingAt id: UInt32) -> Int? {
        guard let ids, ids.contains(id), (id - first) % Self.blockSize == 0 else { return nil }
        return Int((id - first) / Self.blockSize)
    }

    /// The operator's identity: root in `corral run`'s sandboxes.
    public var operatorIdentity: SandboxIdentity {
        SandboxIdentity(hostUID: first, hostGID: first)
    }

    public var description: String {
        guard let ids else { return "\(first) + \(blocks) x \(Self.blockSize) (invalid)" }
        return "\(ids.lowerBound)-\(ids.upperBound) (\(blocks) blocks of \(Self.blockSize))"
    }

    /// What in the host's account files the pool overlaps: a user's or group's id, or a subordinate
    /// range handed to a user for its own user namespaces. Each text is the file's contents; an empty
    /// answer means none. Pure, so tests give it any files.
    public func conflicts(passwd: String, group: String, subuid: String, subgid: String) -> [String] {
        guard let ids else { return ["the pool \(description) must hold at least 2 blocks, start at 65536 or above and end below 2^31"] }
        var found: [String] = []
        for (file, text) in [("/etc/passwd", passwd), ("/etc/group", group)] {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                guard fields.count >= 3, let id = UInt32(fields[2]), ids.contains(id) else { continue }
                found.append("\(file) gives id \(id) to \(fields[0])")
            }
        }
        for (file, text) in [("/etc/subuid", subuid), ("/etc/subgid", subgid)] {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                guard fields.count >= 3, let start = UInt64(fields[1]), let count = UInt64(fields[2]), count > 0 else { continue }
                let end = start + count - 1
                guard start <= UInt64(ids.upperBound), end >= UInt64(ids.lowerBound) else { continue }
                found.append("\(file) gives \(start)-\(end) to \(fields[0])")
            }
        }
        return found
    }
}

extension SandboxIdentity {
    /// The identity of a tenant's environment: the tenant's own id (`block`'s first), or in fresh mode
    /// `slot` (1...65535) ids above it; the gid is always the tenant's.
    public static func tenant(block: UInt32, slot: UInt32 = 0) -> SandboxIdentity {
        SandboxIdentity(hostUID: block + slot, hostGID: block)
    }
}
