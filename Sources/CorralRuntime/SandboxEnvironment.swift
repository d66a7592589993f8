import CorralSandbox
import CorralSystem
import Foundation
import Logging
import NIOCore

/// One execution environment: a sandbox running a function version's runtime, its Runtime API listener
/// (inside the sandbox's network namespace), and a reader for its output. Serves one invocation at a time;
/// reused for the same version until it fails, times out, or the server stops.
final class ExecutionEnvironment: @unchecked Sendable {
    let session: RuntimeSession
    let process: SandboxProcess
    private let listener: any Channel
    /// The role's egress proxy and Lambda endpoint, if it grants them.
    private var grantedListeners: GrantedListeners?
    private let lock = NSLock()
    private var invocationOutput: [UInt8]?
    private let outputLimit = 1 << 20
    /// Milliseconds from the launch request to the runtime's first `invocation/next` (set once ready).
    var initDurationMs: Double = 0
    private init(session: RuntimeSession, process: SandboxProcess, listener: any Channel) {
        self.session = session
        self.process = process
        self.listener = listener
    }

    static let runtimeAPIPort: UInt16 = 9001

    /// Starts the sandbox for `spec` with the Runtime API listening in its namespace, and the output reader.
    /// `spec.environment` gets AWS_LAMBDA_RUNTIME_API. Returns once the sandbox runs (not yet initialized);
    /// `onExit` runs once its process has ended.
    ///
    /// `grants` (the execution role's) add binds, /run/secrets (files in the sandbox's memory only, see
    /// MemoryDirectory), variables, and listeners in the sandbox's namespace (GrantedListeners); what they
    /// leave on the host is removed when the sandbox ends, before `onExit`.
    static func start(spec: SandboxSpec, grants: EnvironmentGrants = .none, launcher: SandboxLauncher, group: any EventLoopGroup,
                      logger: Logger, output: @escaping @Sendable (String) -> Void, onExit: @escaping @Sendable () -> Void) async throws -> ExecutionEnvironment {
        var spec = spec
        spec.binds += grants.binds
        if !grants.secrets.isEmpty {
            spec.memoryDirectories.append(MemoryDirectory(path: GrantedPlaces.secretsDirectory, files: grants.secrets))
        }
        spec.environment += grants.environment.map { "\($0.key)=\($0.value)" }.sorted()
        let namespace = try launcher.makeNetworkNamespace()
        // The sockets listen before the sandbox starts, so the runtime's first connection waits in the
        // backlog; SwiftNIO takes the Runtime API's over while the runtime is still starting (0.7 ms less on
        // each cold start than starting the server first).
        let socket = try namespace.listenTCP(port: runtimeAPIPort)
        spec.environment.append("AWS_LAMBDA_RUNTIME_API=127.0.0.1:\(runtimeAPIPort)")
        var listeners: GrantedListeners?
        let pipe: (read: Int32, write: Int32), devNull: Int32
        do {
            listeners = try GrantedListeners(grants, in: namespace)
            spec.environment += listeners?.environment ?? []
            pipe = try FileDescriptor.pipe()
            devNull = try FileDescriptor.open("/dev/null", O_RDONLY | O_CLOEXEC)
        } catch {
            close(socket)
            listeners?.close()
            grants.onEnd?()
            throw error
        }
        // What the grants leave behind goes when the sandbox does.
        let onEnd = grants.onEnd
        let cleanUp: @Sendable () -> Void = { [listeners] in
            listeners?.close()
            onEnd?()
        }
        let process: SandboxProcess
        do {
            process = try launcher.launch(spec, stdio: SandboxStdio(stdin: devNull, stdout: pipe.write, stderr: pipe.write), networkNamespace: namespace)
        } catch {
            FileDescriptor.close(pipe.read)
            FileDescriptor.close(pipe.write)
            FileDescriptor.close(devNull)
            close(socket)
            cleanUp()
            throw error
        }
        FileDescriptor.close(devNull)
        let session = RuntimeSession()
        let listener: any Channel
        do {
            listener = try await RuntimeAPIServer.start(listeningSocket: socket, session: session, group: group)
            let listenerLogger = Logger(label: "corral.egress") { _ in FunctionLogHandler(server: logger, function: output) }
            try await listeners?.start(grants, group: group, logger: listenerLogger)
        } catch {
            close(socket)
            process.kill()
            _ = process.waitForExit()
            FileDescriptor.close(pipe.read)
            FileDescriptor.close(pipe.write)
            cleanUp()
            throw error
        }
        let environment = ExecutionEnvironment(session: session, process: process, listener: listener)
        environment.grantedListeners = listeners
        environment.syncWriter.fd = pipe.write // kept for sync markers; closed when the sandbox ends
        environment.outputFD = pipe.read
        environment.readOutput(pipe.read, output)
        environment.watchExit {
            cleanUp()
            onExit()
        }
        return environment
    }

    /// Output lines go to `output` (the function's log) and, during an invocation, to its tail buffer.
    /// A sync marker written by `finishCapture` through `syncFD` is not output: seeing it means every byte
    /// written before it has been read.
    private func readOutput(_ fd: Int32, _ output: @escaping @Sendable (String) -> Void) {
        let readLock = self.readLock
        let thread = Thread { [weak self] in
            var buffer = [UInt8](repeating: 0, count: 16384)
            func emit(_ bytes: [UInt8]) {
                guard !bytes.isEmpty else { return }
                output(String(decoding: bytes, as: UTF8.self))
                self?.capture(bytes)
            }
            while true {
                // Wait without reading, then read and emit under readLock: outside it, every byte taken
                // from the pipe has been emitted (see outputDrained).
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&ready, 1, -1) < 0 { if errno == EINTR { continue } else { break } }
                readLock.lock()
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { readLock.unlock(); continue }
                if n <= 0 { readLock.unlock(); break }
                var pending = self?.pendingOutput ?? []
                pending += buffer[0..<n]
                // Sync markers: everything before one is output, then the waiter is told.
                while let range = Self.findMarker(in: pending) {
                    let before = Array(pending[..<range.lowerBound])
                    let token = Array(pending[range])
                    pending.removeSubrange(..<range.upperBound)
                    emit(before.isEmpty || before.last == 0x0a ? before : before + [0x0a])
                    self?.markerSeen(token)
                }
                if let newline = pending.lastIndex(of: 0x0a), Self.markerStart(in: pending) == nil {
                    emit(Array(pending[...newline]))
                    pending.removeSubrange(...newline)
                }
                if pending.count > 65536 { // a very long line: flush it as is
                    emit(pending + [0x0a])
                    pending.removeAll()
                }
                self?.pendingOutput = pending
                readLock.unlock()
            }
            readLock.withLock {
                if let pending = self?.pendingOutput, !pending.isEmpty { emit(pending + [0x0a]) }
                self?.pendingOutput = []
                self?.outputFD = -1
            }
            close(fd)
        }
        thread.name = "corral-env-output"
        thread.start()
    }

    private static let markerPrefix: [UInt8] = Array("\u{0}corral-sync-".utf8)

    /// Where a whole marker (prefix, token, newline) sits in `bytes`.
    static func findMarker(in bytes: [UInt8]) -> Range<Int>? {
        guard let start = markerStart(in: bytes), let end = bytes[start...].firstIndex(of: 0x0a) else { return nil }
        return start..<(end + 1)
    }

    static func markerStart(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= markerPrefix.count else { return nil }
        var index = bytes.startIndex
        while let zero = bytes[index...].firstIndex(of: 0) {
            if bytes[zero...].starts(with: markerPrefix) || bytes.count - zero < markerPrefix.count { return zero }
            index = zero + 1
        }
        return nil
    }

    /// The supervisor's copy of the output pipe's write end, for sync markers. Closed by the exit watcher
    /// whether or not the environment still exists then (the reader sees EOF only once it is closed), and
    /// written only under its own lock, which the reader never takes (a full pipe cannot deadlock them).
    private let syncWriter = SyncWriter()

    private final class SyncWriter: @unchecked Sendable {
        private let lock = NSLock()
        var fd: Int32 = -1

        /// Writes `bytes` whole; false once closed or on error.
        func write(_ bytes: [UInt8]) -> Bool {
            lock.withLock { fd >= 0 && bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count }
        }

        func close() {
            lock.withLock {
                FileDescriptor.close(fd)
                fd = -1
            }
        }
    }
    /// The read end of the output pipe, the reader's partial line, and the lock it reads and emits under.
    private var outputFD: Int32 = -1
    private var pendingOutput: [UInt8] = []
    private let readLock = NSLock()

    /// Every byte written to the output pipe so far has been read and emitted: the pipe is empty, no partial
    /// line waits, and the reader is not between a read and its emits. Output is written before the runtime
    /// answers, so this holds at the end of most invocations and saves the marker's round trip through the
    /// reader thread.
    private func outputDrained() -> Bool {
        readLock.withLock {
            guard outputFD >= 0, pendingOutput.isEmpty else { return false }
            var unread: Int32 = 0
            return ioctl(outputFD, UInt(FIONREAD), &unread) == 0 && unread == 0
        }
    }
    private var expectedMarker: [UInt8]?
    private let markerArrived = DispatchSemaphore(value: 0)
    /// Entered while the exit watcher runs (it reaps the sandbox and removes its cgroup).
    private let watching = DispatchGroup()

    private func capture(_ bytes: [UInt8]) {
        lock.withLock {
            guard var buffer = invocationOutput else { return }
            buffer += bytes.prefix(max(0, outputLimit - buffer.count))
            invocationOutput = buffer
        }
    }

    private func markerSeen(_ token: [UInt8]) {
        let matches = lock.withLock { token == expectedMarker }
        if matches { markerArrived.signal() }
    }

    /// When the sandbox ends, the session learns why (and every waiter with it); its peak memory is kept
    /// for the REPORT line, since the cgroup is gone by then.
    private func watchExit(_ onExit: @escaping @Sendable () -> Void) {
        let process = self.process
        let session = self.session
        let syncWriter = self.syncWriter
        let watching = self.watching
        watching.enter()
        let thread = Thread { [weak self] in
            defer { watching.leave() }
            let report = process.waitForExit()
            if let self { self.lock.withLock { self.finalPeakBytes = report.maxMemoryBytes } }
            syncWriter.close() // the reader sees EOF (and ends) once the sandbox's copies are gone too
            session.end(.exited(status: report.signal.map { 128 + $0 } ?? report.exitCode, oomKilled: report.oomKilled))
            onExit()
        }
        thread.name = "corral-env-exit"
        thread.start()
    }

    /// Starts collecting output for an invocation's log tail; `finishCapture` returns it.
    func beginCapture() { lock.withLock { invocationOutput = [] } }

    /// The invocation's output. The runtime wrote it before answering, but the reader may lag: a marker
    /// sent down the same pipe and seen by the reader proves everything before it was read (at most
    /// 200 ms is spent waiting, e.g. when the sandbox is gone).
    func finishCapture() -> [UInt8] {
        if outputDrained() {
            return lock.withLock {
                defer { invocationOutput = nil }
                return invocationOutput ?? []
            }
        }
        let marker = Self.markerPrefix + Array(UUID().uuidString.utf8) + [0x0a]
        lock.withLock { expectedMarker = marker }
        if syncWriter.write(marker) {
            _ = markerArrived.wait(timeout: .now() + .milliseconds(200))
        }
        return lock.withLock {
            defer { invocationOutput = nil; expectedMarker = nil }
            return invocationOutput ?? []
        }
    }

    private var finalPeakBytes: UInt64?

    /// Peak memory of the sandbox's cgroup so far (or at its end), in MB.
    var maxMemoryUsedMB: Int {
        let peak = lock.withLock { finalPeakBytes } ?? process.cgroup.peakMemoryBytes() ?? 0
        return Int(peak / (1 << 20))
    }

    /// Kills the sandbox and closes the listener. Returns at once: the kill (which waits for the processes
    /// to go) runs on the reaper queue, never on the caller's thread, which may be the pool's actor or a
    /// Swift concurrency thread. `ExecutionEnvironment.reaped()` waits for every kill so far, and for the
    /// exit watcher that then removes the sandbox's cgroup (a server that stops leaves none behind).
    func destroy(because outcome: InvocationOutcome = .exited(status: 137, oomKilled: false)) {
        session.end(outcome)
        let process = self.process
        let watching = self.watching
        Self.reaper.async(group: Self.reaping) {
            process.kill()
            // The watcher's waitForExit returns soon after the kill (it stops relaying 2 s after the exit
            // at the latest); the bound only keeps a wedged watcher from holding the server's stop forever.
            _ = watching.wait(timeout: .now() + .seconds(10))
        }
        listener.close(promise: nil)
        grantedListeners?.close()
    }

    private static let reaper = DispatchQueue(label: "corral-reaper", attributes: .concurrent)
    private static let reaping = DispatchGroup()

    /// Returns once every sandbox destroyed so far is dead (the server waits for it when it stops).
    static func reaped() async {
        await withCheckedContinuation { continuation in reaping.notify(queue: .global()) { continuation.resume() } }
    }
}
