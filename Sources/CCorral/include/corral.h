/*
 * corral.h: the clone-to-execve child sequence of a Corral sandbox.
 *
 * Everything here runs between clone and execve in a copy of a multithreaded Swift process, so it is
 * async-signal-safe C: no allocation, no locks, no stdio. The Swift side (CorralSandbox) prepares every
 * string, array and BPF program before calling corral_spawn, and turns the (step, op, errno) record the
 * child writes on failure into a thrown error.
 */
#ifndef CORRAL_H
#define CORRAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Kinds of root-filesystem operations, applied in order inside the new mount namespace. Every dst is
 * relative to the new root and resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), so no
 * component may be a symlink and nothing can land outside the root. */
enum corral_op_kind {
    CORRAL_OP_MKDIR = 1,       /* mkdir dst (mode); an existing directory is fine */
    CORRAL_OP_BIND = 2,        /* bind src (host path, or in-root path with CORRAL_OPF_SRC_IN_ROOT) on dst, recursive */
    CORRAL_OP_TMPFS = 3,       /* tmpfs on dst with options in data, e.g. "size=64m,mode=1777" */
    CORRAL_OP_PROC = 4,        /* procfs of the new pid namespace on dst */
    CORRAL_OP_FILE = 5,        /* create dst (mode) holding data[0..data_len) */
    CORRAL_OP_SYMLINK = 6,     /* symlink dst -> src */
    CORRAL_OP_REMOUNT_RO = 7,  /* make the mount whose root is dst read-only (not its submounts) */
};

enum corral_op_flags {
    CORRAL_OPF_READONLY = 1 << 0,
    CORRAL_OPF_OPTIONAL = 1 << 1,    /* skip when src or dst does not exist */
    CORRAL_OPF_SRC_IN_ROOT = 1 << 2, /* src is a path inside the new root */
    CORRAL_OPF_NOSUID = 1 << 3,
    CORRAL_OPF_NODEV = 1 << 4,
    CORRAL_OPF_NOEXEC = 1 << 5,
    CORRAL_OPF_EARLY = 1 << 6,       /* applied before the id maps exist, while the parent writes them */
    CORRAL_OPF_SRC_FD = 1 << 7,      /* bind: src_fd is a detached mount the parent made (corral_open_bind_source);
                                        src is only its name. src_fd -1 means the source did not exist */
};

struct corral_op {
    int kind;
    int flags;
    const char *src;
    const char *dst;
    const char *data;
    size_t data_len;
    unsigned int mode;
    int src_fd;                  /* with CORRAL_OPF_SRC_FD */
};

struct corral_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

/* A per-user-namespace count limit (kernel/ucount.c), written to /proc/sys/user/NAME by the child while it
 * still holds CAP_SYS_RESOURCE in its own user namespace. The kernel charges each count at every level of
 * the namespace tree, so the value here also bounds what the sandbox takes from its creator's (host root's)
 * budget. */
struct corral_user_sysctl {
    const char *name;            /* a file in /proc/sys/user, e.g. "max_inotify_instances" */
    const char *value;           /* decimal text, e.g. "16" */
    int optional;                /* skip when this kernel lacks the file (built without inotify, fanotify) */
};

/* Everything the child needs, prepared by the parent. Pointers stay valid until corral_spawn returns. */
struct corral_spawn_attrs {
    int use_clone3;              /* try clone3 first (needed for CLONE_INTO_CGROUP) */
    int cgroup_fd;               /* cgroup v2 directory to spawn into, or -1 */
    uint64_t namespaces;         /* CLONE_NEW* flags; CLONE_NEWCGROUP is unshared by the child after placement */
    int netns_fd;                /* a prepared network namespace to spawn in (CLONE_NEWNET is then dropped), or -1 */
    int host_netns_fd;           /* the spawning thread's own network namespace, to return to after the clone */
    int ipcns_fd;                /* a prepared IPC namespace to spawn in (CLONE_NEWIPC is then dropped), or -1 */
    int host_ipcns_fd;           /* the spawning thread's own IPC namespace, to return to after the clone */
    int root_ns_fd;              /* a mount namespace whose root is the sandbox's root (corral_root_namespace_create),
                                    or -1. The spawning thread enters it for the clone, so the child starts inside
                                    its root: no root bind, no pivot_root, no old root to detach. Host paths are
                                    then out of the child's reach: binds of host paths come as CORRAL_OPF_SRC_FD */
    int host_mnt_ns_fd;          /* the spawning thread's own mount namespace, to return to after the clone */

    int sync_fd;                 /* child reads one byte "go" after uid/gid maps and cgroups are in place */
    int error_fd;                /* child writes a struct corral_child_error on failure (CLOEXEC) */
    int status_fd;               /* init writes the workload's wait status (int) before exiting */
    int trace_fd;                /* -1, or a pipe receiving a struct corral_trace_point at each phase (CLOEXEC) */

    /* Parent side, done in C right after the clone: until the supervisor has rewritten them, every page it
     * writes costs a copy-on-write fault, and releasing the child from Swift took ~0.25 ms instead of ~0.03. */
    const char *uid_map;         /* "0 HOSTUID 1\n" for /proc/PID/uid_map; setgroups is set to "deny" first */
    const char *gid_map;         /* "0 HOSTGID 1\n" for /proc/PID/gid_map */
    const int *leave_fds;        /* v1: fds on the spawning thread's own tasks files; writing "0" takes it home */
    size_t leave_fd_count;
    int release_fd;              /* the parent's end of sync_fd: one byte releases the child, once it is in its
                                    cgroup (born there by CLONE_INTO_CGROUP or born_in_cgroup); else the caller
                                    moves it there and releases it */
    int born_in_cgroup;          /* the spawning thread stands in the sandbox's v1 groups */

    const char *staging_dir;     /* host directory on which the new root is assembled (in the child's mount ns) */
    const char *root_source;     /* NULL: a fresh tmpfs root (root_tmpfs_data); else a directory bound read-only */
    const char *root_tmpfs_data;
    const struct corral_op *ops;
    size_t op_count;

    const char *hostname;
    const char *cwd;
    char *argv_area;             /* the supervisor's argv strings (arg_start of /proc/self/stat), or NULL: the */
    size_t argv_area_len;        /* init overwrites its copy so /proc/1/cmdline shows "corral-init", not them */
    int loopback_up;

    const struct corral_rlimit *rlimits;
    size_t rlimit_count;
    const struct corral_user_sysctl *user_sysctls; /* caps written before the capabilities are dropped */
    size_t user_sysctl_count;
    int last_cap;                /* highest capability number the kernel knows */
    const void *seccomp_filter;  /* struct sock_filter[], or NULL for none */
    unsigned short seccomp_len;  /* number of instructions */

    const int *child_fds;        /* child_fds[i] becomes fd i in the workload (0, 1, 2, then declared fds) */
    size_t child_fd_count;
    const char *exec_file;       /* absolute path, or a name searched in search_path */
    const char *search_path;     /* PATH used for a bare exec_file */
    char *const *argv;
    char *const *envp;
};

struct corral_spawn_result {
    pid_t pid;                   /* the sandbox's init, in the caller's pid namespace */
    int release_step;            /* 0, or the parent-side step that failed: 1 uid_map, 2 setgroups, 3 gid_map, */
    int release_errno;           /* 4 release; the child is then still waiting and the caller must kill it */
    int released;                /* the child was released (else the caller attaches it to its cgroup first) */
    int pidfd;                   /* pidfd of the init (CLOEXEC) */
    int used_clone3;
    int into_cgroup;             /* the child was created inside cgroup_fd */
};

/* Steps of the child sequence, reported with errno when one fails. Keep in step with SpawnStep.swift. */
enum corral_step {
    CORRAL_STEP_SYNC = 1,
    CORRAL_STEP_SETRESGID,
    CORRAL_STEP_SETRESUID,
    CORRAL_STEP_UNSHARE_CGROUP,
    CORRAL_STEP_MOUNT_PRIVATE,
    CORRAL_STEP_ROOT_MOUNT,
    CORRAL_STEP_ROOT_OPEN,
    CORRAL_STEP_OP,
    CORRAL_STEP_PIVOT_ROOT,
    CORRAL_STEP_UMOUNT_OLD_ROOT,
    CORRAL_STEP_CHDIR,
    CORRAL_STEP_SETHOSTNAME,
    CORRAL_STEP_LOOPBACK,
    CORRAL_STEP_RLIMIT,
    CORRAL_STEP_SETSID,
    CORRAL_STEP_CAP_BOUNDING,
    CORRAL_STEP_CAP_AMBIENT,
    CORRAL_STEP_SECUREBITS,
    CORRAL_STEP_CAPSET,
    CORRAL_STEP_NO_NEW_PRIVS,
    CORRAL_STEP_DUMPABLE,
    CORRAL_STEP_SIGNALS,
    CORRAL_STEP_SECCOMP,
    CORRAL_STEP_FORK,
    CORRAL_STEP_FDS,
    CORRAL_STEP_EXECVE,
    CORRAL_STEP_PDEATHSIG,
    CORRAL_STEP_USER_SYSCTL,     /* op_index: the user_sysctls entry, or -1 for opening /proc/sys/user */
};

/* Phases timed when trace_fd is set (corral bench spawn --trace). */
enum corral_trace_phase {
    CORRAL_TRACE_CLONED = 1,     /* first instruction of the child */
    CORRAL_TRACE_RELEASED,       /* the parent wrote the id maps and placed the cgroup */
    CORRAL_TRACE_ROOT_READY,     /* pivot_root done */
    CORRAL_TRACE_CONFINED,       /* capabilities dropped, no_new_privs, seccomp loaded */
    CORRAL_TRACE_FORKED,         /* the command's process runs, before its execve */
    CORRAL_TRACE_EARLY_ROOT,     /* the root's early half (binds, /proc) done, before waiting for the release */
};

struct corral_trace_point {
    int32_t phase;
    uint64_t nanoseconds;        /* CLOCK_MONOTONIC */
} __attribute__((packed));

struct corral_child_error {
    int32_t step;
    int32_t op_index;            /* index into ops for CORRAL_STEP_OP, else -1 */
    int32_t error;               /* errno */
};

/* Clones the sandbox's init into new namespaces and returns in the parent at once. The caller then writes
 * the uid/gid maps, places the child in its cgroups, writes one byte to the other end of sync_fd, and
 * reads error_fd until EOF (exec succeeded) or a corral_child_error. Returns 0, or -1 with errno set. */
int corral_spawn(const struct corral_spawn_attrs *attrs, struct corral_spawn_result *result);

/* Builds a mount namespace holding only a sandbox root: root_source bound read-only (nosuid, nodev) as its
 * root, `ops` applied inside it (binds of host paths), and a procfs of an empty pid namespace on /proc (the
 * kernel lets a user namespace mount its own procfs only where one is fully visible already; this one lists
 * no process, and each sandbox mounts its own over it). Done by a short-lived child (new mount and pid
 * namespaces) that pivots into the root and detaches the host's. Returns an fd for the namespace (CLOEXEC),
 * or -1 with errno set; when an op failed, *failed_op is its index (else -1). */
int corral_root_namespace_create(const char *staging_dir, const char *root_source, const struct corral_op *ops,
                                 size_t op_count, int *failed_op);

/* A detached copy of the host path src (open_tree, recursive) with the mount flags of `flags` (CORRAL_OPF_*)
 * already applied, for a CORRAL_OPF_SRC_FD bind. Returns the fd (CLOEXEC), or -1 with errno set. */
int corral_open_bind_source(const char *src, int flags);

/* openat2(dirfd, path, flags | O_CLOEXEC) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS:
 * no component may be a symlink and nothing may resolve above dirfd. Returns the fd, or -1 with errno set. */
int corral_open_beneath(int dirfd, const char *path, int flags);

/* A detached copy of the mount tree at fd (an O_PATH fd of the bind's source, opened without following
 * symlinks), recursive or not, with the mount flags of `flags` (CORRAL_OPF_*) applied, for a
 * CORRAL_OPF_SRC_FD bind. Returns the fd (CLOEXEC), or -1 with errno set. */
int corral_clone_bind_fd(int fd, int flags, int recursive);

/* Applies one operation with rootfd as the root (RESOLVE_IN_ROOT). Used by the child for every kind, and by
 * the supervisor to write a root skeleton (mkdir, file and symlink only). Returns 0, or -1 with errno set. */
int corral_apply_op(int rootfd, const struct corral_op *op);

/* Loads a seccomp filter (len instructions) on the calling thread only: it applies to the thread and to what
 * it clones from then on (see SpawnThread). The caller needs CAP_SYS_ADMIN (no no_new_privs is set).
 * Returns 0, or -1 with errno set. */
int corral_load_thread_filter(const void *filter, unsigned short len);

/* Raw syscalls glibc does not wrap on every supported release. Each returns -1 with errno set on failure. */
int corral_pidfd_send_signal(int pidfd, int sig);
int corral_pipe_cloexec(int fds[2]);
/* accept4(fd, NULL, NULL, SOCK_CLOEXEC): glibc declares accept4 only under _GNU_SOURCE, which Swift does not see. */
int corral_accept_cloexec(int fd);
int corral_clone3_supported(void);

/* Whether a syscall exists on this kernel (called with harmless invalid arguments; not ENOSYS). */
enum corral_syscall_probe {
    CORRAL_SYSCALL_OPENAT2 = 1,
    CORRAL_SYSCALL_MOUNT_SETATTR,
    CORRAL_SYSCALL_PIDFD_OPEN,
    CORRAL_SYSCALL_CLOSE_RANGE,
};
int corral_syscall_exists(enum corral_syscall_probe which);

/* Creates a network namespace with lo up, on the calling thread, and returns an fd for it (CLOEXEC); the
 * thread is back in host_netns_fd's namespace afterwards. Returns -1 with errno set on failure. */
int corral_netns_create(int host_netns_fd);
/* Creates an IPC namespace on the calling thread and returns an fd for it (CLOEXEC); the thread is back in
 * host_ipcns_fd's namespace afterwards. Returns -1 with errno set on failure. */
int corral_ipcns_create(int host_ipcns_fd);
/* On the calling thread: enters the network namespace netns_fd, opens a TCP socket listening on
 * 127.0.0.1:port there (non-blocking, CLOEXEC; port 0 picks one), and returns to host_netns_fd. The socket
 * stays in the namespace it was made in. Returns the fd, or -1 with errno set; aborts if the thread cannot
 * return to the host namespace (a thread stranded in a sandbox's namespace must not go on). */
int corral_tcp_listen_in_netns(int netns_fd, int host_netns_fd, unsigned short port);

/* CLONE_NEWUSER | NEWPID | NEWNS | NEWNET | NEWIPC | NEWUTS | NEWCGROUP: every namespace a sandbox gets. */
uint64_t corral_sandbox_namespaces(void);

#endif
