import Synchronization

/// Packages being stored for a function that is not yet committed, so removing an unused package cannot
/// race a create of the same zip by another function or tenant.
///
/// Without holds: tenant A deletes its function and the store finds the package unused; meanwhile tenant
/// B uploads the same zip, finds it already stored, and commits a function naming it; then A's removal
/// deletes the files B's function needs. With holds, `CodeStore.store` holds the digest until the caller
/// releases it (after its commit or its failure), and `CodeStore.removeUnused` decides and removes under
/// the same lock, skipping held digests: a removal either finishes before a store looks (which then
/// unpacks the package anew) or sees the hold.
final class PackageHolds: Sendable {
    private let state = Mutex<[String: Int]>([:])

    /// Runs `body` with the holds locked: what it reads of them stays true until it returns.
    func locked<T>(_ body: (inout [String: Int]) throws(CodePackageError) -> T) throws(CodePackageError) -> T {
        try state.withLock { (holds) throws(CodePackageError) -> T in try body(&holds) }
    }

    func release(_ digest: String) {
        state.withLock { holds in
            guard let count = holds[digest] else { return }
            holds[digest] = count > 1 ? count - 1 : nil
        }
    }

    var held: Set<String> { state.withLock { Set($0.keys) } }
}
