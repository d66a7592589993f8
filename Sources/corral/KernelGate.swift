import ArgumentParser
import CorralSandbox
import Foundation

/// Applies `KernelCheck` (security checklist A17) to the running kernel for `corral serve`.
enum KernelGate {
    /// Refuses to go on (exit 1, each failed item on stderr) when the kernel check fails, unless
    /// `allowUnpatched`: then each failed item goes to `warn`, loudly, and the command goes on.
    static func enforce(allowUnpatched: Bool, command: String, warn: (String) -> Void) throws {
        let items = KernelCheck.evaluateRunning()
        let failed = items.filter { !$0.passed }
        guard !failed.isEmpty else { return }
        if allowUnpatched {
            for item in failed {
                warn("UNSAFE KERNEL (--allow-unpatched-kernel): \(item.name): \(item.detail)")
            }
            return
        }
        for item in failed { printError("\(command): kernel check failed: \(item.name): \(item.detail)") }
        printError("\(command): refusing to run tenants' code on this kernel. If it is a distribution kernel with these "
            + "fixes backported (check its security advisories), start with --allow-unpatched-kernel; `corral doctor` lists every check.")
        throw ExitCode(1)
    }
}
