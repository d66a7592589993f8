/* spawn.c: clones the sandbox's init (parent side). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "internal.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

struct corral_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

int corral_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int corral_load_thread_filter(const void *filter, unsigned short len) {
    struct sock_fprog prog = {.len = len, .filter = (struct sock_filter *)filter};
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int corral_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int corral_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}

int corral_syscall_exists(enum corral_syscall_probe which) {
    long rc;
    switch (which) {
    case CORRAL_SYSCALL_OPENAT2: rc = syscall(437, -1, NULL, NULL, 0); break;       /* EINVAL/EBADF */
    case CORRAL_SYSCALL_MOUNT_SETATTR: rc = syscall(442, -1, NULL, 0, NULL, 0); break; /* EINVAL/EBADF */
    case CORRAL_SYSCALL_PIDFD_OPEN: rc = syscall(SYS_pidfd_open, 0, ~0U); break;  /* EINVAL */
    case CORRAL_SYSCALL_CLOSE_RANGE: rc = syscall(436, ~0U, 0U, 0); break;         /* EINVAL: first > last */
    default: errno = ENOSYS; return 0;
    }
    return !(rc == -1 && errno == ENOSYS);
}

uint64_t corral_sandbox_namespaces(void) {
    return CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
}

int corral_clone3_supported(void) {
    /* clone3 with a zero-sized argument is refused with EINVAL when the syscall exists. */
    long rc = syscall(SYS_clone3, NULL, 0);
    return rc == -1 && errno != ENOSYS;
}

/* Returns the child's pid in the parent, 0 in the child, -1 with errno on failure. */
static pid_t clone_child(const struct corral_spawn_attrs *a, struct corral_spawn_result *r, int *pidfd) {
    uint64_t flags = (a->namespaces & ~(uint64_t)CLONE_NEWCGROUP) | CLONE_PIDFD;
    if (a->use_clone3) {
        struct corral_clone_args args;
        memset(&args, 0, sizeof args);
        args.flags = flags;
        args.pidfd = (uint64_t)(uintptr_t)pidfd;
        args.exit_signal = SIGCHLD;
        if (a->cgroup_fd >= 0) {
            args.flags |= CLONE_INTO_CGROUP;
            args.cgroup = (uint64_t)a->cgroup_fd;
        }
        long pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0) {
            r->used_clone3 = 1;
            r->into_cgroup = a->cgroup_fd >= 0;
            return (pid_t)pid;
        }
        if (errno != ENOSYS && errno != E2BIG && !(errno == EINVAL && a->cgroup_fd >= 0)) return -1;
    }
    /* clone(2) on x86_64: flags, stack, parent_tid (receives the pidfd with CLONE_PIDFD), child_tid, tls. */
    long pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, pidfd, NULL, NULL);
    r->used_clone3 = 0;
    r->into_cgroup = 0;
    return (pid_t)pid;
}

int corral_ipcns_create(int host_ipcns_fd) {
    if (unshare(CLONE_NEWIPC) != 0) return -1;
    int fd = open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC);
    int saved = errno;
    if (setns(host_ipcns_fd, CLONE_NEWIPC) != 0) abort(); /* as for network namespaces, below */
    errno = saved;
    return fd;
}

int corral_netns_create(int host_netns_fd) {
    if (unshare(CLONE_NEWNET) != 0) return -1;
    int fd = corral_loopback_up() == 0 ? open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) : -1;
    int saved = errno;
    if (setns(host_netns_fd, CLONE_NEWNET) != 0) {
        /* A thread stranded in the new namespace must not go on creating namespaces from there. */
        abort();
    }
    errno = saved;
    return fd;
}

int corral_tcp_listen_in_netns(int netns_fd, int host_netns_fd, unsigned short port) {
    if (setns(netns_fd, CLONE_NEWNET) != 0) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int saved = errno;
    if (fd >= 0) {
        int one = 1;
        struct sockaddr_in addr;
        memset(&addr, 0, sizeof addr);
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 64) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    if (setns(host_netns_fd, CLONE_NEWNET) != 0) abort();
    errno = saved;
    return fd;
}

/* Writes `text` to /proc/PID/NAME. Returns 0, or -1 with errno set. */
static int write_proc_file(pid_t pid, const char *name, const char *text) {
    char path[64];
    char suffix[24] = "/";
    size_t len = corral_strlen(name);
    if (len + 2 > sizeof suffix) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(suffix + 1, name, len + 1);
    if (!corral_format_path(path, sizeof path, "/proc/", (unsigned int)pid, suffix)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t size = corral_strlen(text);
    ssize_t w = write(fd, text, size);
    int saved = errno;
    close(fd);
    if (w != (ssize_t)size) {
        errno = w < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

/* The parent's half of the handshake: id maps, back to the spawning thread's own groups, release. */
static void release_child(const struct corral_spawn_attrs *a, pid_t pid, struct corral_spawn_result *r) {
    int step = 0;
    if (write_proc_file(pid, "uid_map", a->uid_map) != 0) step = 1;
    else if (write_proc_file(pid, "setgroups", "deny") != 0) step = 2;
    else if (write_proc_file(pid, "gid_map", a->gid_map) != 0) step = 3;
    int saved = errno;
    for (size_t i = 0; i < a->leave_fd_count; i++) {
        /* A supervisor thread left in a sandbox's group would be killed with the sandbox. */
        if (write(a->leave_fds[i], "0", 1) != 1) abort();
    }
    if (step == 0 && a->release_fd >= 0 && (r->into_cgroup || a->born_in_cgroup)) {
        char go = 1;
        if (write(a->release_fd, &go, 1) != 1) {
            step = 4;
            saved = errno;
        } else {
            r->released = 1;
        }
    }
    r->release_step = step;
    r->release_errno = step ? saved : 0;
}

/* Puts the calling thread in the sandbox's root namespace for the clone. The thread first gets its own root
 * and working directory (once; later calls find them unshared already), since entering a mount namespace
 * moves both, and its working directory is kept in *saved_cwd to come back to. */
static int enter_root_namespace(const struct corral_spawn_attrs *a, int *saved_cwd) {
    if (unshare(CLONE_FS) != 0) return -1;
    *saved_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*saved_cwd < 0) return -1;
    if (setns(a->root_ns_fd, CLONE_NEWNS) != 0) {
        int saved = errno;
        close(*saved_cwd);
        errno = saved;
        return -1;
    }
    return 0;
}

static void leave_root_namespace(const struct corral_spawn_attrs *a, int saved_cwd) {
    /* A supervisor thread stranded in a sandbox's root would resolve every host path there: never go on. */
    if (setns(a->host_mnt_ns_fd, CLONE_NEWNS) != 0 || fchdir(saved_cwd) != 0) abort();
    close(saved_cwd);
}

int corral_spawn(const struct corral_spawn_attrs *a, struct corral_spawn_result *r) {
    /* A prepared network namespace: enter it on this (dedicated) thread so the child is born in it. */
    struct corral_spawn_attrs local = *a;
    if (a->netns_fd >= 0) {
        if (setns(a->netns_fd, CLONE_NEWNET) != 0) return -1;
        local.namespaces &= ~(uint64_t)CLONE_NEWNET;
        local.loopback_up = 0; /* already up */
    }
    if (a->ipcns_fd >= 0) {
        if (setns(a->ipcns_fd, CLONE_NEWIPC) != 0) {
            int saved = errno;
            if (a->netns_fd >= 0 && setns(a->host_netns_fd, CLONE_NEWNET) != 0) abort();
            errno = saved;
            return -1;
        }
        local.namespaces &= ~(uint64_t)CLONE_NEWIPC;
    }
    int saved_cwd = -1;
    if (a->root_ns_fd >= 0 && enter_root_namespace(a, &saved_cwd) != 0) {
        int saved = errno;
        if (a->ipcns_fd >= 0 && setns(a->host_ipcns_fd, CLONE_NEWIPC) != 0) abort();
        if (a->netns_fd >= 0 && setns(a->host_netns_fd, CLONE_NEWNET) != 0) abort();
        for (size_t i = 0; i < a->leave_fd_count; i++) {
            if (write(a->leave_fds[i], "0", 1) != 1) abort();
        }
        errno = saved;
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    /* No signal handler of the parent may run in the child before it resets them. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int pidfd = -1;
    pid_t pid = clone_child(&local, r, &pidfd);
    if (pid == 0) corral_child(&local); /* never returns */
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (a->root_ns_fd >= 0) leave_root_namespace(a, saved_cwd);
    if (a->ipcns_fd >= 0 && setns(a->host_ipcns_fd, CLONE_NEWIPC) != 0) abort();
    if (a->netns_fd >= 0 && setns(a->host_netns_fd, CLONE_NEWNET) != 0) abort();
    if (pid < 0) {
        for (size_t i = 0; i < a->leave_fd_count; i++) {
            if (write(a->leave_fds[i], "0", 1) != 1) abort();
        }
        errno = saved;
        return -1;
    }
    r->pid = pid;
    r->pidfd = pidfd;
    release_child(a, pid, r);
    return 0;
}
