import Foundation
import Testing

extension PrivilegedSandboxTests {
    /// cgroup limits: pids, memory, CPU quota.
    @Suite struct Resources {
        /// Forks (or starts threads) until the kernel refuses or `cap` is reached; prints the count and why it stopped.
        static let forkLoop = """
        import errno, os, sys, threading, time
        mode, cap = sys.argv[1], int(sys.argv[2])
        count, stop = 0, 'cap'
        hold = threading.Event()
        try:
            while count < cap:
                if mode == 'fork':
                    if os.fork() == 0:
                        time.sleep(60); os._exit(0)
                else:
                    threading.Thread(target=hold.wait, daemon=True).start()
                count += 1
        except BlockingIOError as e:
            stop = errno.errorcode[e.errno]
        except RuntimeError as e:
            stop = 'thread:' + str(e)
        print('count=%d' % count)
        print('stop=' + stop, flush=True)
        os._exit(0)
        """

        @Test("--pids 32 stops a fork loop with EAGAIN near 30; a higher limit gets past 32")
        func forkBomb() throws {
            try privileged {
                let limited = try Corral.python(["--pids", "32"], Self.forkLoop, ["fork", "200"])
                #expect(limited.status == 0, "\(limited)")
                #expect(limited.values["stop"] == "EAGAIN", "\(limited)")
                let count = Int(limited.values["count"] ?? "") ?? -1
                #expect(count >= 25 && count <= 30, "forked \(count) (32 minus the init and python = 30)")
                // Oracle: with --pids 128 the same loop passes 32.
                let roomy = try Corral.python(["--pids", "128"], Self.forkLoop, ["fork", "40"])
                #expect(roomy.values["stop"] == "cap" && roomy.values["count"] == "40", "\(roomy)")
                // The host still starts sandboxes.
                let after = try Corral.run([], ["/bin/true"])
                #expect(after.status == 0, "\(after)")
            }
        }

        @Test("--pids counts threads: a thread loop stops near 30 too")
        func threadBomb() throws {
            try privileged {
                let limited = try Corral.python(["--pids", "32"], Self.forkLoop, ["thread", "200"])
                #expect(limited.status == 0, "\(limited)")
                #expect(limited.values["stop"]?.hasPrefix("thread:") == true, "\(limited)")
                let count = Int(limited.values["count"] ?? "") ?? -1
                #expect(count >= 25 && count <= 30, "started \(count) threads")
                // Oracle: with --pids 128 the same loop passes 32.
                let roomy = try Corral.python(["--pids", "128"], Self.forkLoop, ["thread", "40"])
                #expect(roomy.values["stop"] == "cap" && roomy.values["count"] == "40", "\(roomy)")
                let after = try Corral.run([], ["/bin/true"])
                #expect(after.status == 0, "\(after)")
            }
        }

        /// Touches 200 MiB in this process, or (with argument 'grandchild') in a grandchild.
        static let allocate = """
        import os, sys
        def hog():
            data = b'x' * (200 << 20)
            print('allocated', flush=True)
        if sys.argv[1] == 'self':
            hog()
        else:
            child = os.fork()
            if child == 0:
                grandchild = os.fork()
                if grandchild == 0:
                    hog(); os._exit(0)
                _, status = os.waitpid(grandchild, 0)
                os._exit(status >> 8 if status & 0x7f == 0 else 128 + (status & 0x7f))
            _, status = os.waitpid(child, 0)
            print('child-status=%d' % (status >> 8), flush=True)
        """

        @Test("--memory 32M: allocating 200 MiB is OOM-killed, reported as such (in the command or a grandchild)",
              arguments: ["self", "grandchild"])
        func memoryLimit(where place: String) throws {
            try privileged {
                let killed = try Corral.python(["--memory", "32M"], Self.allocate, [place])
                #expect(killed.status == 137, "\(killed)")
                #expect(killed.report?.oomKilled == true, "\(killed)")
                #expect(killed.stderr.contains("out of memory"), "\(killed)")
                #expect(!killed.stdout.contains("allocated"), "\(killed)")
                // Oracle: with room for it the same program finishes.
                let roomy = try Corral.python(["--memory", "512M"], Self.allocate, [place])
                #expect(roomy.status == 0, "\(roomy)")
                #expect(roomy.report?.oomKilled == false)
                #expect(roomy.stdout.contains("allocated"), "\(roomy)")
            }
        }

        @Test("--cpus 0.2 holds a busy loop to about a fifth of a CPU; --timeout ends it with 124")
        func cpuQuota() throws {
            try privileged {
                let spin = ["--timeout", "2s"]
                let throttled = try Corral.run(spin + ["--cpus", "0.2"], [Corral.python, "-c", "while True: pass"])
                #expect(throttled.status == 124, "\(throttled)")
                let t = try #require(throttled.report, "\(throttled)")
                #expect(t.timedOut)
                let tCPU = try #require(t.cpuTimeMs)
                #expect(tCPU <= 0.35 * t.durationMs, "cpu \(tCPU) ms over \(t.durationMs) ms")
                // The quota measured from inside over 2 s of spinning after start-up (an emulated VM can spend
                // most of a short run starting Python), against the same loop with a whole CPU: the oracle that
                // the measure sees throttling. The oracle asks only to break the bound (a busy host may not
                // give it a whole CPU).
                let window = """
                import time
                start, cpu = time.monotonic(), time.process_time()
                while time.monotonic() - start < 2: pass
                print('cpu=%d' % ((time.process_time() - cpu) * 1000)); print('wall=%d' % ((time.monotonic() - start) * 1000))
                """
                let held = try Corral.python(["--timeout", "60s", "--cpus", "0.2"], window)
                let free = try Corral.python(["--timeout", "60s", "--cpus", "1"], window)
                let heldCPU = try #require(Double(held.values["cpu"] ?? ""), "\(held)"), heldWall = try #require(Double(held.values["wall"] ?? ""))
                let freeCPU = try #require(Double(free.values["cpu"] ?? ""), "\(free)"), freeWall = try #require(Double(free.values["wall"] ?? ""))
                #expect(heldCPU <= 0.35 * heldWall, "throttled: cpu \(heldCPU) ms over \(heldWall) ms")
                #expect(freeCPU > 0.35 * freeWall, "unthrottled: cpu \(freeCPU) ms over \(freeWall) ms")
                #expect(freeCPU > 1.5 * heldCPU, "unthrottled \(freeCPU) ms vs throttled \(heldCPU) ms")
            }
        }
    }
}
