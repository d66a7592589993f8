import Foundation
import Glibc
import Testing

/// The one gate for the privileged suite: root runs the tests; without root they are skipped, except when
/// CI=true, where they must run and so fail instead of skipping silently.
enum Gate {
    static let isRoot = geteuid() == 0
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    struct NotRoot: Error, CustomStringConvertible {
        var description: String { "CI=true but not root: the privileged sandbox tests need root (euid \(geteuid()))" }
    }

    /// Returns when the test may run; skips or fails (CI) otherwise.
    static func check(sourceLocation: SourceLocation = #_sourceLocation) throws {
        if isRoot { return }
        if isCI { throw NotRoot() } // recorded as this test's failure
        try Test.cancel("skipped: not root (CI=true turns this into a failure)", sourceLocation: sourceLocation)
    }
}

/// Runs a privileged test body: gate first, then the body, then the check that the test left nothing
/// behind (cgroups under `corral`, processes carrying this run's markers, host mounts).
func privileged(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) throws {
    try Gate.check(sourceLocation: sourceLocation)
    _ = Residue.baselineMountCount
    defer { Residue.expectClean(sourceLocation: sourceLocation) }
    try body()
}
