import CorralSandbox
import CorralStore
import Foundation

/// The host uid and gid each environment runs as: its tenant's own id from the tenant's block of the
/// pool (recorded in the store, so stable across restarts), or in fresh mode an id of the block no live
/// environment of the tenant holds, so one invocation's processes and files are not the next one's.
public final class TenantIdentities: @unchecked Sendable {
    public let pool: HostIDPool
    private let tenants: TenantStore
    private let lock = NSLock()
    private var blocks: [String: UInt32] = [:]
    /// Fresh-mode slots (1...65535 above the block's first id) held by live environments, per account.
    private var held: [String: Set<UInt32>] = [:]
    /// Where each account's next slot search starts: slots go round, so a slot just released is the
    /// last to be given again.
    private var cursor: [String: UInt32] = [:]

    public init(pool: HostIDPool, tenants: TenantStore) {
        self.pool = pool
        self.tenants = tenants
    }

    /// The first id of `account`'s block, given now if it has none.
    public func block(of account: String) throws -> UInt32 {
        if let known = lock.withLock({ blocks[account] }) { return known }
        let starts = (1..<pool.blocks).compactMap(pool.blockStart)
        let first = try tenants.hostIDBlock(account: account, choosingFrom: starts)
        guard pool.blockIndex(startingAt: first) != nil else {
            throw IdentityError("account \(account) holds host ids \(first)-\(UInt64(first) + UInt64(HostIDPool.blockSize) - 1), outside the configured tenantIds \(pool)")
        }
        lock.withLock { blocks[account] = first }
        return first
    }

    /// The identity for a new environment of `account`; `release` gives a fresh-mode slot back when the
    /// environment has gone (a no-op for the shared identity).
    public func identity(account: String, fresh: Bool) throws -> (identity: SandboxIdentity, release: @Sendable () -> Void) {
        let first = try block(of: account)
        guard fresh else { return (.tenant(block: first), {}) }
        let slot: UInt32? = lock.withLock {
            var taken = held[account] ?? []
            let slots = HostIDPool.blockSize - 1
            let start = cursor[account] ?? 0
            for step in 0..<slots {
                let candidate = (start + step) % slots + 1
                if taken.insert(candidate).inserted {
                    held[account] = taken
                    cursor[account] = candidate % slots
                    return candidate
                }
            }
            return nil
        }
        guard let slot else { throw IdentityError("account \(account) has \(HostIDPool.blockSize - 1) fresh environments at once: no host id left in its block") }
        return (.tenant(block: first, slot: slot), { [weak self] in self?.release(slot, of: account) })
    }

    private func release(_ slot: UInt32, of account: String) {
        lock.withLock { _ = held[account]?.remove(slot) }
    }

    /// Checks the recorded blocks against the pool (a pool narrowed or moved would hand ids that files
    /// on disk already carry to someone else) and gives every tenant that has none its block.
    public func restore() throws {
        let recorded = try tenants.hostIDBlocks()
        for (account, first) in recorded.sorted(by: { $0.key < $1.key }) where pool.blockIndex(startingAt: first) == nil || first == pool.first {
            throw IdentityError("account \(account) holds host ids from \(first), which is not a tenant block of the configured tenantIds \(pool): keep the pool that gave it (files on disk carry those ids)")
        }
        lock.withLock { blocks = recorded }
        for tenant in try tenants.tenants() { _ = try block(of: tenant.account) }
    }
}

public struct IdentityError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
