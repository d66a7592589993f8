/* root_namespace.c: builds a mount namespace that holds nothing but a sandbox's root (see corral.h).
 *
 * The builder is a short-lived child in new mount and pid namespaces, still the host's root: it binds the
 * root and the host's system files, mounts a procfs of its own pid namespace (which lists no process once
 * the builder is gone), pivots into the root and detaches the host's. The parent opens the namespace
 * through /proc/PID/ns/mnt and lets the builder exit; the open fd keeps the namespace alive. Like the
 * sandbox's child, the builder runs in a copy of a multithreaded process: async-signal-safe calls only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif

/* What the builder reports: op -2 for a step outside the ops, else the failed op's index; -1 on success. */
struct builder_report {
    int32_t op;
    int32_t error;
};

static void report(int fd, int op, int error) {
    struct builder_report r = {.op = op, .error = error};
    ssize_t ignored = write(fd, &r, sizeof r);
    (void)ignored;
}

__attribute__((noreturn)) static void builder_fail(int report_fd, int op) {
    report(report_fd, op, errno);
    _exit(1);
}

__attribute__((noreturn)) static void build(const char *staging_dir, const char *root_source, const struct corral_op *ops,
                                            size_t op_count, int report_fd, int hold_fd) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) builder_fail(report_fd, -2);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) builder_fail(report_fd, -2);
    int root = corral_open_bind_source(root_source, CORRAL_OPF_READONLY | CORRAL_OPF_NOSUID | CORRAL_OPF_NODEV);
    if (root < 0) builder_fail(report_fd, -2);
    if (syscall(SYS_move_mount, root, "", AT_FDCWD, staging_dir, MOVE_MOUNT_F_EMPTY_PATH) != 0) builder_fail(report_fd, -2);
    close(root);
    int rootfd = open(staging_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) builder_fail(report_fd, -2);
    for (size_t i = 0; i < op_count; i++) {
        if (corral_apply_op(rootfd, &ops[i]) != 0) {
            if ((ops[i].flags & CORRAL_OPF_OPTIONAL) && errno == ENOENT) continue;
            builder_fail(report_fd, (int)i);
        }
    }
    /* Same flags as each sandbox's own procfs, so the kernel finds this one at least as visible. */
    struct corral_op proc = {.kind = CORRAL_OP_PROC, .flags = CORRAL_OPF_NOSUID | CORRAL_OPF_NODEV | CORRAL_OPF_NOEXEC,
                             .dst = "proc"};
    if (corral_apply_op(rootfd, &proc) != 0) builder_fail(report_fd, -2);
    if (fchdir(rootfd) != 0) builder_fail(report_fd, -2);
    close(rootfd);
    if (syscall(SYS_pivot_root, ".", ".") != 0) builder_fail(report_fd, -2);
    if (umount2(".", MNT_DETACH) != 0) builder_fail(report_fd, -2);
    if (chdir("/") != 0) builder_fail(report_fd, -2);
    report(report_fd, -1, 0);
    /* Stay until the parent has opened the namespace (it closes its end of the hold pipe). */
    char c;
    while (read(hold_fd, &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
}

int corral_root_namespace_create(const char *staging_dir, const char *root_source, const struct corral_op *ops,
                                 size_t op_count, int *failed_op) {
    *failed_op = -1;
    int reports[2], hold[2];
    if (pipe2(reports, O_CLOEXEC) != 0) return -1;
    if (pipe2(hold, O_CLOEXEC) != 0) {
        close(reports[0]);
        close(reports[1]);
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    /* No signal handler of the parent may run in the builder; it never unblocks them. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_NEWNS | CLONE_NEWPID | SIGCHLD), NULL, NULL, NULL, NULL);
    if (pid == 0) {
        /* Keep only our two ends: a copy of another thread's pipe (another builder's hold pipe, a sandbox's
         * error pipe) would keep its reader from ever seeing EOF while we wait on ours. */
        int keep_a = reports[1] < hold[0] ? reports[1] : hold[0];
        int keep_b = reports[1] < hold[0] ? hold[0] : reports[1];
        if (keep_a > 3) syscall(SYS_close_range, 3, keep_a - 1, 0);
        if (keep_b > keep_a + 1) syscall(SYS_close_range, keep_a + 1, keep_b - 1, 0);
        syscall(SYS_close_range, keep_b + 1, ~0U, 0);
        build(staging_dir, root_source, ops, op_count, reports[1], hold[0]);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(reports[1]);
    close(hold[0]);
    int fd = -1;
    if (pid < 0) {
        errno = saved;
    } else {
        struct builder_report r = {.op = -2, .error = EIO};
        ssize_t n;
        do {
            n = read(reports[0], &r, sizeof r);
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof r && r.op == -1) {
            char path[64];
            if (corral_format_path(path, sizeof path, "/proc/", (unsigned int)pid, "/ns/mnt"))
                fd = open(path, O_RDONLY | O_CLOEXEC);
            else
                errno = ENAMETOOLONG;
            saved = errno;
        } else {
            if (n == (ssize_t)sizeof r && r.op >= 0) *failed_op = r.op;
            saved = n == (ssize_t)sizeof r ? r.error : EIO;
        }
    }
    close(hold[1]); /* lets the builder exit */
    close(reports[0]);
    if (pid > 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    errno = saved;
    return fd;
}
