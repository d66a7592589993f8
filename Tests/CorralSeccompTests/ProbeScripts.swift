// Python scripts for KernelProbeTests. They run under Debian's /usr/bin/python3 and use only ctypes, so the
// test needs no C compiler and no root: any process may load a filter once it has set no_new_privs.
// Kept as strings (written to /tmp at run time) so SwiftPM has no unhandled resource files.

/// `loader.py FILTER.bpf PROGRAM ARGS...`: sets no_new_privs, loads the raw sock_filter array, execs PROGRAM.
/// This is what Corral's spawn child does in C between clone and execve.
let loaderScript = #"""
import ctypes, os, sys

libc = ctypes.CDLL(None, use_errno=True)

class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
    sys.exit("prctl(PR_SET_NO_NEW_PRIVS): errno %d" % ctypes.get_errno())
for path in sys.argv[1].split(","):  # several filters stack, in order
    data = open(path, "rb").read()
    buf = ctypes.create_string_buffer(data, len(data))
    prog = SockFprog(len(data) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.syscall(317, 1, 0, ctypes.byref(prog)) != 0:  # seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog)
        sys.exit("seccomp(SECCOMP_SET_MODE_FILTER): errno %d" % ctypes.get_errno())
os.execv(sys.argv[2], sys.argv[2:])
"""#

/// `probe.py MODE`: MODE `calls` prints {"probe": errno or 0} as JSON; `personality` prints the personality
/// values whose result disagrees with the allowlist; `x32` and `i386` make one call through that ABI.
/// Arguments are harmless and invalid, so an unfiltered call fails with EBADF, EFAULT, EINVAL and the like.
let probeScript = #"""
import ctypes, json, mmap, os, random, sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    if r == -1:
        return ctypes.get_errno()
    return 0

def closing(nr, *args):
    # For calls that return an fd on success.
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    if r == -1:
        return ctypes.get_errno()
    os.close(r)
    return 0

def personality(value):
    r = call(135, value)
    call(135, 0)
    return r

mode = sys.argv[1]
if mode == "calls":
    null = os.open("/dev/null", os.O_RDWR)  # never a terminal, so TIOCSTI cannot inject anything
    buf = ctypes.create_string_buffer(64)
    addr = ctypes.addressof(buf)
    probes = {
        "keyctl": lambda: call(250, 0x7FFF, 0, 0, 0, 0),
        "add_key": lambda: call(248, 0, 0, 0, 0, 0),
        "request_key": lambda: call(249, 0, 0, 0, 0),
        "bpf": lambda: call(321, -1, 0, 0),
        "perf_event_open": lambda: call(298, 0, 0, -1, -1, 0),
        "userfaultfd": lambda: call(323, -1),
        "kexec_load": lambda: call(246, 0, 0, 0, 0xFFFFFFFF),
        "kexec_file_load": lambda: call(320, -1, -1, 0, 0, 0xFFFF),
        "open_by_handle_at": lambda: call(304, -1, 0, 0),
        "name_to_handle_at": lambda: call(303, -1, 0, 0, 0, 0),
        "init_module": lambda: call(175, 0, 0, 0),
        "finit_module": lambda: call(313, -1, 0, 0),
        "delete_module": lambda: call(176, 0, 0),
        "ptrace": lambda: call(101, 0x7FFF, 1, 0, 0),
        "process_vm_readv": lambda: call(310, os.getpid(), 0, 0, 0, 0, 1),
        "process_vm_writev": lambda: call(311, os.getpid(), 0, 0, 0, 0, 1),
        "kcmp": lambda: call(312, 0, 0, 99, 0, 0),
        "pidfd_getfd": lambda: call(438, -1, 0, 0),
        "process_madvise": lambda: call(440, -1, 0, 0, 0, 0),
        "mount": lambda: call(165, 0, 0, 0, 0, 0),
        "umount2": lambda: call(166, 0, 0),
        "fsopen": lambda: call(430, 0, 0),
        "fsmount": lambda: call(432, -1, 0, 0),
        "fsconfig": lambda: call(431, -1, 0, 0, 0, 0),
        "fspick": lambda: call(433, -1, 0, 0),
        "move_mount": lambda: call(429, -1, 0, -1, 0, 0),
        "open_tree": lambda: call(428, -1, 0, 0),
        "mount_setattr": lambda: call(442, -1, 0, 0, 0, 0),
        "pivot_root": lambda: call(155, 0, 0),
        "chroot": lambda: call(161, 0),
        "setns": lambda: call(308, -1, 0),
        "swapon": lambda: call(167, 0, 0),
        "swapoff": lambda: call(168, 0),
        "reboot": lambda: call(169, 0, 0, 0, 0),
        "acct": lambda: call(163, 1),
        "quotactl": lambda: call(179, 0, 0, 0, 0),
        "syslog": lambda: call(103, 99, 0, 0),
        "io_uring_setup": lambda: call(425, 0, 0),
        "io_uring_enter": lambda: call(426, -1, 0, 0, 0, 0, 0),
        "io_uring_register": lambda: call(427, -1, 0, 0, 0),
        "lookup_dcookie": lambda: call(212, 0, 0, 0),
        "sethostname": lambda: call(170, 1, 1),
        "setdomainname": lambda: call(171, 1, 1),
        "clock_settime": lambda: call(227, -1, 0),
        "settimeofday": lambda: call(164, 1, 1),
        "adjtimex": lambda: call(159, 1),
        "clock_adjtime": lambda: call(305, -1, 1),
        "iopl": lambda: call(172, 99),
        "ioperm": lambda: call(173, 0xFFFF0000, 1, 1),
        "mbind": lambda: call(237, 0, 0, 99, 0, 0, 0),
        "set_mempolicy": lambda: call(238, 99, 0, 0),
        "migrate_pages": lambda: call(256, 0x7FFFFFFF, 0, 0, 0),
        "move_pages": lambda: call(279, 0, 1, 1, 0, 1, 0),
        "uselib": lambda: call(134, 1),
        "ustat": lambda: call(136, 0, 1),
        "sysfs": lambda: call(139, 99),
        "_sysctl": lambda: call(156, 0),
        "nfsservctl": lambda: call(180, 0, 0, 0),
        "personality_addr_no_randomize": lambda: personality(0x0040000),
        "personality_query": lambda: personality(0xFFFFFFFF),
        "personality_linux32": lambda: personality(0x8),
        "socket_vsock": lambda: closing(41, 40, 1, 0),
        "socket_vsock_high_bits": lambda: closing(41, 40 | (1 << 32), 1, 0),
        "socket_alg": lambda: closing(41, 38, 5, 0),
        "socket_unix": lambda: closing(41, 1, 1, 0),
        "socket_inet": lambda: closing(41, 2, 1, 0),
        "socket_inet6": lambda: closing(41, 10, 2, 0),
        "socket_netlink": lambda: closing(41, 16, 3, 0),
        "socket_inet_high_bits": lambda: closing(41, 2 | (1 << 32), 1, 0),
        "socket_packet": lambda: closing(41, 17, 3, 0),
        "socket_netlink_uevent": lambda: closing(41, 16, 3, 15),
        "socket_netlink_audit": lambda: closing(41, 16, 3, 9),
        "socket_netlink_sock_diag": lambda: closing(41, 16, 3, 4),
        "socketpair_unix": lambda: call(53, 1, 1, 0, addr),
        "socketpair_inet": lambda: call(53, 2, 1, 0, addr),
        "socketpair_tipc": lambda: call(53, 30, 5, 0, addr),
        "ioctl_tiocsti": lambda: call(16, null, 0x5412, addr),
        "ioctl_tiocsti_high_bits": lambda: call(16, null, 0x5412 | (0x123 << 32), addr),
        "ioctl_tioclinux": lambda: call(16, null, 0x541C, addr),
        "ioctl_tcgets": lambda: call(16, null, 0x5401, addr),
        "ioctl_fionread": lambda: call(16, null, 0x541B, addr),
        "clone_thread_only": lambda: call(56, 0x10000, 0, 0, 0, 0),
        "clone3": lambda: call(435, 0, 0),
        "fanotify_init": lambda: call(300, 0xFFFFFFFF, 0),
        "unknown_1000": lambda: call(1000),
        "getpid": lambda: 0 if libc.syscall(ctypes.c_long(39)) == os.getpid() else -1,
    }
    # clone with each CLONE_NEW* bit plus CLONE_THREAD without CLONE_SIGHAND, which the kernel refuses with
    # EINVAL before creating anything, so the unfiltered oracle cannot fork.
    for name, bit in [("newns", 0x20000), ("newcgroup", 0x2000000), ("newuts", 0x4000000), ("newipc", 0x8000000),
                      ("newuser", 0x10000000), ("newpid", 0x20000000), ("newnet", 0x40000000), ("newtime", 0x80)]:
        probes["clone_" + name] = (lambda b: lambda: call(56, b | 0x10000, 0, 0, 0, 0))(bit)
    results = {name: probe() for name, probe in probes.items()}
    # Last: unfiltered (as root) this really enters a new user namespace.
    results["unshare_newuser"] = call(272, 0x10000000)
    print(json.dumps(results))
elif mode == "personality":
    allowed = {0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF}
    values = set(allowed)
    for bit in range(64):
        values.add(1 << bit)
        values.update(v ^ (1 << bit) for v in allowed)
    rng = random.Random(7)
    values.update(rng.getrandbits(32) for _ in range(3000))
    values.update(rng.getrandbits(64) for _ in range(1000))
    wrong = []
    for v in sorted(values):
        r = personality(v)
        if (r == 0) != (v in allowed) or (r != 0 and r != 1):
            wrong.append("%#x -> %d" % (v, r))
    print(json.dumps({"checked": len(values), "wrong": wrong}))
elif mode == "x32":
    # getpid (39) through the x32 ABI bit.
    print(json.dumps({"x32_getpid": call(0x40000000 | 39)}))
elif mode == "i386":
    # mov eax, 20 (i386 getpid); int 0x80; ret
    code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    print(json.dumps({"i386_getpid_matches": fn() == os.getpid()}))
"""#
