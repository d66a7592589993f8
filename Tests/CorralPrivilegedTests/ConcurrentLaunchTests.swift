import CorralSandbox
import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// Launches while the supervisor's threads come and go, as a busy server's do (each environment starts
    /// two threads). The child between clone and execve must not wait on any lock of the parent's threads:
    /// glibc's setresuid/setresgid did (they broadcast to every thread glibc knows, and the child inherits
    /// that list), and one launch in a few hundred hung forever.
    @Suite struct ConcurrentLaunch {
        @Test("launches from several threads while other threads start and stop all complete")
        func launchesDuringThreadChurn() throws {
            try privileged {
                var configuration = SandboxLauncher.Configuration()
                configuration.prefilledPool = 2
                let launcher = try SandboxLauncher(configuration: configuration)
                defer { launcher.shutdown() }
                let stop = LockedFlag()
                // Churn: threads created and joined back to back for the whole test.
                let churn = Thread {
                    while !stop.isSet {
                        var thread = pthread_t()
                        if pthread_create(&thread, nil, { _ in nil }, nil) == 0 { pthread_join(thread, nil) }
                    }
                }
                churn.start()
                defer { stop.set() }
                let launchers = 3, each = 80
                let finished = DispatchSemaphore(value: 0)
                let failures = LockedList()
                for worker in 0..<launchers {
                    Thread {
                        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
                        defer { close(devNull); finished.signal() }
                        for index in 0..<each {
                            do {
                                let process = try launcher.launch(SandboxSpec(argv: ["/bin/true"]),
                                                                  stdio: SandboxStdio(stdin: devNull, stdout: devNull, stderr: devNull))
                                let report = process.waitForExit()
                                if report.exitCode != 0 { failures.append("worker \(worker) launch \(index): \(report)") }
                            } catch {
                                failures.append("worker \(worker) launch \(index): \(error)")
                            }
                        }
                    }.start()
                }
                // Oracle for the hang: each worker must finish; a stuck child would hold its worker forever.
                let deadline = DispatchTime.now() + 240 // generous: the emulated VM of make test-cgroup2 is ~35x slower
                var done = 0
                for _ in 0..<launchers where finished.wait(timeout: deadline) == .success { done += 1 }
                #expect(done == launchers, "\(launchers - done) launcher threads hung in a launch")
                #expect(failures.items.isEmpty, "\(failures.items)")
            }
        }
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    var items: [String] { lock.withLock { list } }
    func append(_ item: String) { lock.withLock { list.append(item) } }
}
