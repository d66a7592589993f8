/* init.c: the sandbox's pid 1. It forks the workload, forwards signals to it, reaps every orphan, and
 * when the workload ends reports its wait status and exits, which makes the kernel kill whatever is left
 * in the pid namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static volatile pid_t workload_pid;

static void forward_signal(int sig) {
    if (workload_pid > 0) kill(workload_pid, sig);
}

static const int forwarded_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH};

static void install_forwarding(const struct corral_spawn_attrs *a) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) {
        if (sigaction(forwarded_signals[i], &sa, NULL) != 0) corral_fail(a, CORRAL_STEP_SIGNALS, (int)i);
    }
}

/* Lays out the workload's fds: child_fds[i] becomes fd i; every other fd is closed at exec, except the
 * error pipe, which exec closes itself (CLOEXEC) to tell the parent the exec succeeded. `a` is the
 * workload's own copy of the attrs: its error_fd is updated to the moved error pipe. */
static void setup_fds(struct corral_spawn_attrs *a) {
    int n = (int)a->child_fd_count;
    /* Move the sources above every target first, so no dup2 overwrites a source still to be moved. */
    int moved[64];
    if (n > 64) {
        errno = EMFILE;
        corral_fail(a, CORRAL_STEP_FDS, -1);
    }
    for (int i = 0; i < n; i++) {
        moved[i] = fcntl(a->child_fds[i], F_DUPFD_CLOEXEC, n);
        if (moved[i] < 0) corral_fail(a, CORRAL_STEP_FDS, i);
    }
    int err = fcntl(a->error_fd, F_DUPFD_CLOEXEC, n);
    if (err < 0) corral_fail(a, CORRAL_STEP_FDS, -1);
    a->error_fd = err;
    for (int i = 0; i < n; i++) {
        if (dup2(moved[i], i) < 0) corral_fail(a, CORRAL_STEP_FDS, i);
    }
    /* Everything from n up is closed at exec (the error pipe included). */
    if (syscall(SYS_close_range, n, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = n; fd < 65536; fd++) {
            int flags = fcntl(fd, F_GETFD);
            if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
}

static void exec_workload(const struct corral_spawn_attrs *a) {
    const char *file = a->exec_file;
    int has_slash = 0;
    for (const char *p = file; *p; p++) has_slash |= *p == '/';
    if (has_slash || a->search_path == NULL) {
        execve(file, a->argv, a->envp);
        corral_fail(a, CORRAL_STEP_EXECVE, -1);
    }
    /* A bare name: search PATH as execvp would, with a stack buffer. */
    char buf[4096];
    size_t file_len = corral_strlen(file);
    int saw_eacces = 0;
    const char *p = a->search_path;
    while (1) {
        const char *end = p;
        while (*end && *end != ':') end++;
        size_t dir_len = (size_t)(end - p);
        if (dir_len == 0) {
            buf[0] = '.';
            dir_len = 1;
        } else if (dir_len + file_len + 2 <= sizeof buf) {
            memcpy(buf, p, dir_len);
        } else {
            dir_len = 0;
        }
        if (dir_len) {
            buf[dir_len] = '/';
            memcpy(buf + dir_len + 1, file, file_len + 1);
            execve(buf, a->argv, a->envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) corral_fail(a, CORRAL_STEP_EXECVE, -1);
        }
        if (*end == 0) break;
        p = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    corral_fail(a, CORRAL_STEP_EXECVE, -1);
}

/* The command's process. It shares the init's memory until its execve (CLONE_VM | CLONE_VFORK, as
 * posix_spawn does), so it writes only to its own stack: no page tables are copied for it. */
static char workload_stack[64 * 1024] __attribute__((aligned(16)));

static int workload_main(void *arg) {
    struct corral_spawn_attrs a = *(const struct corral_spawn_attrs *)arg;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaction(forwarded_signals[i], &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    corral_trace(&a, CORRAL_TRACE_FORKED);
    setup_fds(&a);
    exec_workload(&a);
    return 127; /* not reached: exec_workload either execs or fails */
}

void corral_run_init(const struct corral_spawn_attrs *a) {
    /* Signals stay blocked until the command has its own handlers (it resets them, then unblocks). */
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &all, NULL);
    install_forwarding(a);
    pid_t pid = clone(workload_main, workload_stack + sizeof workload_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)a);
    if (pid < 0) corral_fail(a, CORRAL_STEP_FORK, -1);
    workload_pid = pid;
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Keep only the status pipe: the workload holds the error pipe and its stdio until it exits, and the
     * parent sees EOF on its output pipes once the workload and its descendants are gone. */
    if (a->trace_fd >= 0) close(a->trace_fd);
    int keep = a->status_fd;
    if (keep > 0) syscall(SYS_close_range, 0, keep - 1, 0);
    syscall(SYS_close_range, keep + 1, ~0U, 0);
    int status = 0;
    while (1) {
        int st;
        pid_t done = waitpid(-1, &st, 0);
        if (done < 0) {
            if (errno == EINTR) continue;
            break; /* ECHILD: nothing left */
        }
        if (done == pid) {
            status = st;
            break;
        }
    }
    ssize_t ignored = write(a->status_fd, &status, sizeof status);
    (void)ignored;
    _exit(0);
}
