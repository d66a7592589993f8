import CorralSandbox
import CorralSystem
import Foundation
import NIOCore

/// One execution environment: a sandbox running a function version's runtime, its Runtime API listener
/// (inside the sandbox's network namespace), and a reader for its output. Serves one invocation at a time;
/// reused for the same version until it fails, times out, or the server stops.
final class ExecutionEnvironment: @unchecked Sendable {
    let key: EnvironmentKey
    let session: RuntimeSession
    let process: SandboxProcess
    private let listener: any Channel
    private let lock = NSLock()
    private var invocationOutput: [UInt8]?
    private let outputLimit = 1 << 20
    /// Milliseconds from the launch request to the runtime's first `invocation/next` (set once ready).
    var initDurationMs: Double = 0
    var usedOnce = false

    private init(key: EnvironmentKey, session: RuntimeSession, process: SandboxProcess, listener: any Channel) {
        self.key = key
        self.session = session
        self.process = process
        self.listener = listener
    }

    static let runtimeAPIPort: UInt16 = 9001

    /// Starts the sandbox for `spec` with the Runtime API listening in its namespace, and the output reader.
    /// `spec.environment` gets AWS_LAMBDA_RUNTIME_API. Returns once the sandbox runs (not yet initialized).
    static func start(key: EnvironmentKey, spec: SandboxSpec, launcher: SandboxLauncher, group: any EventLoopGroup,
                      output: @escaping @Sendable (String) -> Void) async throws -> ExecutionEnvironment {
        let namespace = try launcher.makeNetworkNamespace()
        let socket = try namespace.listenTCP(port: runtimeAPIPort)
        let session = RuntimeSession()
        let listener: any Channel
        do {
            listener = try await RuntimeAPIServer.start(listeningSocket: socket, session: session, group: group)
        } catch {
            close(socket)
            throw error
        }
        var spec = spec
        spec.environment.append("AWS_LAMBDA_RUNTIME_API=127.0.0.1:\(runtimeAPIPort)")
        let pipe = try FileDescriptor.pipe()
        let devNull = try FileDescriptor.open("/dev/null", O_RDONLY | O_CLOEXEC)
        let process: SandboxProcess
        do {
            process = try launcher.launch(spec, stdio: SandboxStdio(stdin: devNull, stdout: pipe.write, stderr: pipe.write), networkNamespace: namespace)
        } catch {
            FileDescriptor.close(pipe.read)
            FileDescriptor.close(pipe.write)
            FileDescriptor.close(devNull)
            try? await listener.close()
            throw error
        }
        FileDescriptor.close(pipe.write)
        FileDescriptor.close(devNull)
        let environment = ExecutionEnvironment(key: key, session: session, process: process, listener: listener)
        environment.readOutput(pipe.read, output)
        environment.watchExit()
        return environment
    }

    /// Output lines go to `output` (the function's log) and, during an invocation, to its tail buffer.
    private func readOutput(_ fd: Int32, _ output: @escaping @Sendable (String) -> Void) {
        let thread = Thread { [weak self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += buffer[0..<n]
                if let newline = pending.lastIndex(of: 0x0a) {
                    let lines = Array(pending[...newline])
                    pending.removeSubrange(...newline)
                    output(String(decoding: lines, as: UTF8.self))
                    self?.capture(lines)
                }
                if pending.count > 65536 { // a very long line: flush it as is
                    output(String(decoding: pending, as: UTF8.self) + "\n")
                    self?.capture(pending + [0x0a])
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { output(String(decoding: pending, as: UTF8.self) + "\n"); self?.capture(pending + [0x0a]) }
            close(fd)
        }
        thread.name = "corral-env-output"
        thread.start()
    }

    private func capture(_ bytes: [UInt8]) {
        lock.withLock {
            guard invocationOutput != nil else { return }
            invocationOutput! += bytes.prefix(outputLimit - invocationOutput!.count)
        }
    }

    /// When the sandbox ends, the session learns why (and every waiter with it); its peak memory is kept
    /// for the REPORT line, since the cgroup is gone by then.
    private func watchExit() {
        let process = self.process
        let session = self.session
        let thread = Thread { [weak self] in
            let report = process.waitForExit()
            self?.lock.withLock { self?.finalPeakBytes = report.maxMemoryBytes }
            session.end(.exited(status: report.signal.map { 128 + $0 } ?? report.exitCode, oomKilled: report.oomKilled))
        }
        thread.name = "corral-env-exit"
        thread.start()
    }

    /// Starts collecting output for an invocation's log tail; `finishCapture` returns it.
    func beginCapture() { lock.withLock { invocationOutput = [] } }
    func finishCapture() -> [UInt8] { lock.withLock { defer { invocationOutput = nil }; return invocationOutput ?? [] } }

    private var finalPeakBytes: UInt64?

    /// Peak memory of the sandbox's cgroup so far (or at its end), in MB.
    var maxMemoryUsedMB: Int {
        let peak = lock.withLock { finalPeakBytes } ?? process.cgroup.stats().peakMemoryBytes ?? 0
        return Int(peak / (1 << 20))
    }

    /// Kills the sandbox and closes the listener.
    func destroy(because outcome: InvocationOutcome = .exited(status: 137, oomKilled: false)) {
        session.end(outcome)
        process.kill()
        listener.close(promise: nil)
    }
}

/// What an environment may be reused for: one version of one function, as it was when the environment
/// started (a changed $LATEST has a new revision, so old environments are not reused for it).
struct EnvironmentKey: Hashable, Sendable {
    var account: String
    var function: String
    var version: String
    var revisionID: String
}
