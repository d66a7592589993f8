import CorralRuntime
import CorralSandbox
import CorralSystem
import Logging

/// Makes each tenant's fsRoots its own at start-up: no root shared with another account, each on a
/// nosuid,nodev mount, each owned by the tenant's id (HostIDPool) with mode 0770, and what the shared
/// sandbox identity of older releases (uid 100000) wrote in it moved over to the tenant.
enum TenantRoots {
    static func prepare(_ roots: [String: [PinnedDirectory]], identities: TenantIdentities, logger: Logger) throws {
        let all = roots.flatMap { account, pins in pins.map { (account: account, root: $0) } }.sorted { $0.root.path < $1.root.path }
        for (index, a) in all.enumerated() {
            for b in all[(index + 1)...] where a.account != b.account && (a.root.relative(b.root.path) != nil || b.root.relative(a.root.path) != nil) {
                throw ConfigurationError(message: "fsRoots: \(a.root.path) (account \(a.account)) and \(b.root.path) (account \(b.account)) overlap; "
                    + "each tenant's roots are its own (owned by its host ids), so no directory may be opened to two accounts")
            }
        }
        for (account, root) in all {
            if let problem = root.mountProblem() {
                throw ConfigurationError(message: "fsRoots for \(account): \(root.path) \(problem)")
            }
            let block = try identities.block(of: account)
            do {
                let moved = try root.handOver(to: block, gid: block, movingFrom: HostIDPool.legacyID)
                if moved > 0 { logger.notice("fsRoots for \(account): \(root.path): moved \(moved) entries from the old shared id \(HostIDPool.legacyID) to the tenant's \(block)") }
            } catch {
                throw ConfigurationError(message: "fsRoots for \(account): \(root.path) cannot be given to the tenant's host id \(block): \(error)")
            }
        }
    }
}
