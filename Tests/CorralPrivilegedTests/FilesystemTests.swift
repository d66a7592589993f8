import Foundation
import Glibc
import Testing

extension PrivilegedSandboxTests {
    /// The root filesystem the command sees: read-only, private /tmp, masked /proc, minimal /dev, no /sys.
    @Suite struct Filesystem {
        static let probe = """
        import errno, os
        def write(path):
            try:
                with open(path, 'w') as f: f.write('x')
                return 'ok'
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))
        def size(path):
            try:
                with open(path, 'rb') as f: return str(len(f.read(65536)))
            except FileNotFoundError:
                return 'absent'
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))
        print('root=' + write('/x'))
        print('tmp=' + write('/tmp/x'))
        print('usr=' + write('/usr/x'))
        print('hostname=' + write('/proc/sys/kernel/hostname'))
        for name in ['kcore', 'timer_list', 'interrupts', 'sched_debug']:
            print(name + '=' + size('/proc/' + name))
        print('dev=' + ','.join(sorted(os.listdir('/dev'))))
        print('sys=' + str(os.path.exists('/sys')))
        print('cgroupfs=' + str(os.path.exists('/sys/fs/cgroup')))
        """

        @Test("read-only root and /usr, writable /tmp, masked /proc files, read-only /proc/sys, minimal /dev, no /sys")
        func rootFilesystem() throws {
            try privileged {
                let inside = try Corral.python([], Self.probe)
                #expect(inside.status == 0, "\(inside)")
                let v = inside.values
                #expect(v["root"] == "EROFS", "\(inside)")
                #expect(v["tmp"] == "ok", "\(inside)")
                #expect(v["usr"] == "EROFS", "\(inside)")
                #expect(v["hostname"] == "EROFS", "\(inside)")
                for name in ["kcore", "timer_list", "interrupts", "sched_debug"] {
                    #expect(v[name] == "0" || v[name] == "absent", "/proc/\(name): \(v[name] ?? "missing")")
                }
                #expect(v["timer_list"] == "0" && v["interrupts"] == "0", "\(inside)")
                #expect(v["dev"] == "fd,full,null,random,shm,stderr,stdin,stdout,urandom,zero", "\(inside)")
                #expect(v["sys"] == "False" && v["cgroupfs"] == "False", "\(inside)")

                // Oracle: on the host the masked files have content, /dev and /sys are full, / accepts writes
                // where the sandbox's refuses them (checked on /tmp, the probe's writable path, above).
                let host = try Host.python(Self.probe.replacingOccurrences(of: "write('/proc/sys/kernel/hostname')", with: "'skipped'")
                                                     .replacingOccurrences(of: "write('/x')", with: "'skipped'")
                                                     .replacingOccurrences(of: "write('/usr/x')", with: "'skipped'"))
                let h = host.values
                #expect(h["interrupts"].flatMap { Int($0) }.map { $0 > 0 } == true, "\(host)")
                #expect(h["timer_list"].flatMap { Int($0) }.map { $0 > 0 } == true, "\(host)")
                #expect(h["dev"].map { $0.split(separator: ",").count > 10 } == true, "\(host)")
                #expect(h["sys"] == "True" && h["cgroupfs"] == "True", "\(host)")
            }
        }

        /// Writes up to `total` MiB to `path` in 1 MiB chunks; prints how many bytes made it and the error.
        static let fill = """
        import errno, os, sys
        path, total = sys.argv[1], int(sys.argv[2])
        written, error = 0, 'none'
        fd = os.open(path, os.O_WRONLY | os.O_CREAT)
        chunk = b'x' * (1 << 20)
        try:
            for _ in range(total):
                n = os.write(fd, chunk)
                written += n
                if n < len(chunk):
                    os.write(fd, chunk[n:])
        except OSError as e:
            error = errno.errorcode.get(e.errno, str(e.errno))
        print('written=%d' % written)
        print('error=' + error)
        """

        static let mib = 1 << 20

        @Test("--tmp-size 8M: /tmp fills up with ENOSPC at about 8 MiB; 4 MiB fits")
        func tmpSize() throws {
            try privileged {
                let full = try Corral.python(["--tmp-size", "8M"], Self.fill, ["/tmp/fill", "16"])
                #expect(full.status == 0, "\(full)")
                #expect(full.values["error"] == "ENOSPC", "\(full)")
                let written = Int(full.values["written"] ?? "") ?? -1
                #expect(written >= 6 * Self.mib && written <= 8 * Self.mib, "wrote \(written) bytes")
                // Oracle: a write below the limit succeeds.
                let fits = try Corral.python(["--tmp-size", "8M"], Self.fill, ["/tmp/fill", "4"])
                #expect(fits.values["error"] == "none" && fits.values["written"] == "\(4 * Self.mib)", "\(fits)")
            }
        }

        @Test("/dev/shm is a size-limited tmpfs (16 MiB)")
        func shmSize() throws {
            try privileged {
                let full = try Corral.python([], Self.fill, ["/dev/shm/fill", "32"])
                #expect(full.status == 0, "\(full)")
                #expect(full.values["error"] == "ENOSPC", "\(full)")
                let written = Int(full.values["written"] ?? "") ?? -1
                #expect(written >= 12 * Self.mib && written <= 16 * Self.mib, "wrote \(written) bytes")
                // Oracle: a write below the limit succeeds.
                let fits = try Corral.python([], Self.fill, ["/dev/shm/fill", "4"])
                #expect(fits.values["error"] == "none" && fits.values["written"] == "\(4 * Self.mib)", "\(fits)")
            }
        }

        /// A host directory the sandbox's root (an unprivileged host uid) may write to, holding `hello`.
        static func sharedDirectory() throws -> String {
            var template = Array("/tmp/corral-privtest-bind-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
            let dir = String(cString: made)
            chmod(dir, 0o777)
            try "hello\n".write(toFile: dir + "/hello", atomically: false, encoding: .utf8)
            return dir
        }

        static let bindProbe = """
        import errno
        print('read=' + open('/data/hello').read().strip())
        try:
            with open('/data/new', 'w') as f: f.write('from the sandbox\\n')
            print('write=ok')
        except OSError as e:
            print('write=' + errno.errorcode.get(e.errno, str(e.errno)))
        """

        @Test("--bind SRC:DST:ro is readable but not writable; :rw writes reach the host")
        func binds() throws {
            try privileged {
                let dir = try Self.sharedDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let ro = try Corral.python(["--bind", "\(dir):/data:ro"], Self.bindProbe)
                #expect(ro.status == 0, "\(ro)")
                #expect(ro.values["read"] == "hello", "\(ro)")
                #expect(ro.values["write"] == "EROFS", "\(ro)")
                #expect(!FileManager.default.fileExists(atPath: dir + "/new"))
                // Oracle: the same probe through a :rw bind writes, and the host sees the file.
                let rw = try Corral.python(["--bind", "\(dir):/data:rw"], Self.bindProbe)
                #expect(rw.status == 0, "\(rw)")
                #expect(rw.values["write"] == "ok", "\(rw)")
                #expect((try? String(contentsOfFile: dir + "/new", encoding: .utf8)) == "from the sandbox\n")
            }
        }

        @Test("a bind destination through a symlink (/lib -> usr/lib) is refused with exit 2")
        func bindThroughSymlink() throws {
            try privileged {
                let dir = try Self.sharedDirectory()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                var st = stat()
                try #require(lstat("/lib", &st) == 0 && st.st_mode & S_IFMT == S_IFLNK, "/lib is not a symlink on this host")
                let refused = try Corral.run(["--bind", "\(dir):/lib/corral-data"], ["/bin/true"])
                #expect(refused.status == 2, "\(refused)")
                #expect(refused.stderr.contains("symlink"), "\(refused)")
                // Oracle: the same bind to a plain destination is accepted.
                let accepted = try Corral.run(["--bind", "\(dir):/corral-data"], ["/bin/cat", "/corral-data/hello"])
                #expect(accepted.status == 0 && accepted.stdout == "hello\n", "\(accepted)")
            }
        }

        @Test("the command inherits no fds beyond 0, 1 and 2")
        func noLeakedFDs() throws {
            try privileged {
                // Lists the fds that are still open once the listing's own fd is closed, with their targets.
                let probe = "import os\nfor fd in sorted(os.listdir('/proc/self/fd'), key=int):\n    try: print('fd%s=%s' % (fd, os.readlink('/proc/self/fd/' + fd)))\n    except OSError: pass\n"
                let quoted = "'" + probe.replacingOccurrences(of: "'", with: "'\\''") + "'"
                let sandboxed = try Host.run(["/bin/sh", "-c", "exec 7</etc/passwd; exec \(Corral.binary) run -- \(Corral.python) -c \(quoted)"])
                #expect(sandboxed.status == 0, "\(sandboxed)")
                #expect(Set(sandboxed.values.keys) == ["fd0", "fd1", "fd2"], "\(sandboxed)")
                // Oracle: without the sandbox the same probe sees fd 7.
                let host = try Host.run(["/bin/sh", "-c", "exec 7</etc/passwd; exec \(Corral.python) -c \(quoted)"])
                #expect(host.values["fd7"] == "/etc/passwd", "\(host)")
            }
        }
    }
}
