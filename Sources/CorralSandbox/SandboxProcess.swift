import CCorral
import CorralCgroups
import CorralSystem
import Foundation

/// A running sandbox: its init's pid and pidfd, and its cgroup. `waitForExit` enforces the timeout,
/// relays output, reaps the init, reads the cgroup's accounting and removes the cgroup.
public final class SandboxProcess: @unchecked Sendable {
    /// The sandbox's init, in the supervisor's pid namespace.
    public let pid: Int32
    let pidfd: Int32
    let statusFD: Int32
    public let cgroup: Cgroup
    let started: UInt64
    let timeoutMilliseconds: UInt64?
    /// Whether clone3 was used, and whether the child was created directly inside its cgroup.
    public let usedClone3: Bool
    public let spawnedIntoCgroup: Bool
    /// Set once the pidfd is closed; guarded by `lock`, since signals may come from another thread.
    private var finished = false
    private let lock = NSLock()
    /// When each launch phase happened, if the launcher traces spawns.
    public internal(set) var spawnTrace: SpawnTrace?

    init(pid: Int32, pidfd: Int32, statusFD: Int32, cgroup: Cgroup, started: UInt64, timeoutMilliseconds: UInt64?,
         usedClone3: Bool, spawnedIntoCgroup: Bool) {
        self.pid = pid
        self.pidfd = pidfd
        self.statusFD = statusFD
        self.cgroup = cgroup
        self.started = started
        self.timeoutMilliseconds = timeoutMilliseconds
        self.usedClone3 = usedClone3
        self.spawnedIntoCgroup = spawnedIntoCgroup
    }

    /// Kills every process of the sandbox: the whole cgroup (so no fork escapes), then the init, whose death
    /// also empties the pid namespace.
    public func kill() {
        lock.withLock {
            guard !finished else { return }
            // The init first: when a pid namespace's init dies the kernel kills the rest and the init's
            // exit waits for them, so a short wait on the pidfd usually leaves the cgroup empty. The cgroup
            // sweep then only confirms (v1 freezes and polls in 10 ms rounds while processes remain).
            _ = corral_pidfd_send_signal(pidfd, SIGKILL)
            var exited = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            _ = poll(&exited, 1, 100)
            try? cgroup.killAll()
        }
    }

    /// Sends `signal` to the sandbox's init, which forwards it to the command (SIGHUP, SIGINT, SIGQUIT,
    /// SIGTERM, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH; others are ignored by a pid-namespace init).
    public func signal(_ signal: Int32) {
        lock.withLock {
            // Once finished, the pidfd is closed and its number may name another process's pidfd.
            guard !finished else { return }
            _ = corral_pidfd_send_signal(pidfd, signal)
        }
    }

    /// Kills and reaps a sandbox that failed to start, and releases what it held.
    func abandon() {
        guard !lock.withLock({ finished }) else { return }
        kill()
        var status: Int32 = 0
        _ = try? syscall("waitpid") { waitpid(pid, &status, 0) }
        finish()
    }

    private func finish() {
        let first = lock.withLock {
            defer { finished = true }
            return !finished
        }
        guard first else { return }
        FileDescriptor.close(pidfd)
        FileDescriptor.close(statusFD)
        try? cgroup.killAll()
        try? cgroup.remove()
    }

    /// Waits for the command to end, copying each `relay.from` to `relay.to` meanwhile (the caller owns
    /// both fds; `from` is read until EOF). Kills the whole tree when the timeout runs out.
    public func waitForExit(relaying relays: [(from: Int32, to: Int32)] = []) -> SandboxReport {
        let deadline = timeoutMilliseconds.map { started + $0 * 1_000_000 }
        var timedOut = false
        var exited = false
        var open = relays
        var exitedAt: UInt64 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !exited || !open.isEmpty {
            let now = MonotonicClock.now()
            if exited && now - exitedAt > 2_000_000_000 { break } // a writer outlived the sandbox: stop relaying
            var timeout: Int32 = -1
            if let deadline, !timedOut {
                timeout = deadline > now ? Int32(min((deadline - now) / 1_000_000 + 1, 60_000)) : 0
            }
            if exited { timeout = 250 }
            var pollfds = open.map { pollfd(fd: $0.from, events: Int16(POLLIN), revents: 0) }
            // The command has ended when the init reports its status (or, if the init itself was killed,
            // when the init's pidfd becomes readable).
            if !exited {
                pollfds.append(pollfd(fd: statusFD, events: Int16(POLLIN), revents: 0))
                pollfds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0))
            }
            let ready = poll(&pollfds, nfds_t(pollfds.count), timeout)
            if ready < 0 { continue } // EINTR
            if let deadline, !timedOut, !exited, MonotonicClock.now() >= deadline {
                timedOut = true
                kill()
            }
            if !exited, pollfds[pollfds.count - 1].revents != 0 || pollfds[pollfds.count - 2].revents != 0 {
                exited = true
                exitedAt = MonotonicClock.now()
            }
            var stillOpen: [(from: Int32, to: Int32)] = []
            for (index, relay) in open.enumerated() {
                guard pollfds[index].revents != 0 else {
                    stillOpen.append(relay)
                    continue
                }
                let outcome = buffer.withUnsafeMutableBytes { p in
                    Result { () throws(SystemError) in try FileDescriptor.read(relay.from, into: p) }
                }
                switch outcome {
                case let .success(n) where n > 0:
                    buffer.withUnsafeBytes { p in try? FileDescriptor.writeAll(relay.to, UnsafeRawBufferPointer(rebasing: p[0..<n])) }
                    stillOpen.append(relay)
                case .success:
                    break // EOF
                case let .failure(error):
                    if error.errno == EAGAIN { stillOpen.append(relay) } // else the pipe is unusable: stop relaying it
                }
            }
            open = stillOpen
        }
        let ended = MonotonicClock.now()
        var initStatus: Int32 = 0
        _ = try? syscall("waitpid") { waitpid(pid, &initStatus, 0) }
        let workloadStatus = readWorkloadStatus()
        let stats = cgroup.stats()
        finish()

        // The init reports the command's wait status; without one (the init was killed) the init's counts.
        let status = workloadStatus ?? initStatus
        var exitCode: Int32
        var signal: Int32?
        if status & 0x7f == 0 {
            exitCode = (status >> 8) & 0xff
        } else {
            signal = status & 0x7f
            exitCode = 128 + (status & 0x7f)
        }
        return SandboxReport(
            exitCode: exitCode, signal: signal, timedOut: timedOut, oomKilled: stats.oomKills > 0,
            durationMs: Double(ended - started) / 1_000_000,
            maxMemoryBytes: stats.peakMemoryBytes,
            cpuTimeMs: stats.cpuTimeNanoseconds.map { Double($0) / 1_000_000 })
    }

    private func readWorkloadStatus() -> Int32? {
        var status: Int32 = 0
        let n = withUnsafeMutableBytes(of: &status) { p in
            try? FileDescriptor.setNonBlocking(statusFD)
            return (try? FileDescriptor.read(statusFD, into: p)) ?? 0
        }
        return n == MemoryLayout<Int32>.size ? status : nil
    }

    deinit {
        if !finished {
            kill()
            finish()
        }
    }
}
