/* child.c: the ordered recipe run by the sandbox's init between clone and the workload's execve.
 *
 * Order matters and each line is one concern: the root's binds and /proc (they need no id maps, so they
 * overlap the parent writing them), identity, cgroup namespace, the rest of the root, uts, network,
 * limits (rlimits, then the per-user-namespace counts), session, capabilities, no_new_privs, seccomp (last, so nothing after it needs a filtered call
 * beyond what every workload may do), then the init forks the workload. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
/* securebits: no root privilege at exec, no capability fixups on setuid, all locked. */
#define CORRAL_SECUREBITS 0x2f /* NOROOT|NOROOT_LOCKED|NO_SETUID_FIXUP|NO_SETUID_FIXUP_LOCKED|KEEP_CAPS_LOCKED */

void corral_fail(const struct corral_spawn_attrs *a, int step, int op_index) {
    struct corral_child_error e;
    e.step = step;
    e.op_index = op_index;
    e.error = errno;
    ssize_t ignored = write(a->error_fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

void corral_trace(const struct corral_spawn_attrs *a, int phase) {
    if (a->trace_fd < 0) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    struct corral_trace_point p = {.phase = phase, .nanoseconds = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec};
    ssize_t ignored = write(a->trace_fd, &p, sizeof p);
    (void)ignored;
}

/* Parses the hex mask after `key` in a /proc/PID/status text; 0 when absent. */
static int status_mask(const char *text, const char *key, uint64_t *mask) {
    size_t key_len = corral_strlen(key);
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == '\n') && memcmp(p, key, key_len) == 0) {
            uint64_t m = 0;
            for (p += key_len; *p == ' ' || *p == '\t'; p++) {
            }
            for (; *p && *p != '\n'; p++) {
                int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
                if (d < 0) return -1;
                m = (m << 4) | (uint64_t)d;
            }
            *mask = m;
            return 0;
        }
    }
    return -1;
}

/* Gives back the default disposition of every signal the supervisor handles or ignores: a handler copied
 * from it must never run here, and an ignored signal would stay ignored across the command's execve. The
 * kernel lists them in /proc/self/status (SigCgt, SigIgn), usually a handful, so only those are reset;
 * when that cannot be read, all of them are. Signals stay blocked until the init installs its own. */
static void reset_signals(void) {
    /* The raw call: glibc's sigaction refuses the signals it reserves (32, 33), and the supervisor's
     * dispositions of those must go too. */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } dfl = {.handler = SIG_DFL};
    uint64_t caught = 0, ignored = 0, reset = ~(uint64_t)0;
    char text[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n > 0) {
            text[n] = 0;
            if (status_mask(text, "SigCgt:", &caught) == 0 && status_mask(text, "SigIgn:", &ignored) == 0)
                reset = caught | ignored;
        }
    }
    for (int sig = 1; sig < NSIG && sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || !(reset & ((uint64_t)1 << (sig - 1)))) continue;
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    }
}

static void wait_for_parent(const struct corral_spawn_attrs *a) {
    char go = 0;
    ssize_t n;
    do {
        n = read(a->sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        /* The parent died or gave up before releasing us. */
        if (n == 0) errno = EPIPE;
        corral_fail(a, CORRAL_STEP_SYNC, -1);
    }
}

/* setresuid cleared the parent-death signal: set it again, then make sure the parent is still there (it
 * keeps its end of the sync pipe open until the workload has exec'd, so EOF means it died). */
static void rearm_parent_death_signal(const struct corral_spawn_attrs *a) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) corral_fail(a, CORRAL_STEP_PDEATHSIG, -1);
    int flags = fcntl(a->sync_fd, F_GETFL);
    fcntl(a->sync_fd, F_SETFL, flags | O_NONBLOCK);
    char c;
    if (read(a->sync_fd, &c, 1) == 0) {
        errno = EPIPE;
        corral_fail(a, CORRAL_STEP_SYNC, -1);
    }
    close(a->sync_fd);
}

/* Raw syscalls, not glibc's setresgid/setresuid: those apply the change to every thread glibc believes
 * the process has (__nptl_setxid), and the child inherited the parent's thread list. With a thread of
 * the parent being created or exiting at the clone, the child waited forever on that thread's futex.
 * The kernel call changes the calling thread's credentials, and the child has only that thread. */
static void become_root_in_namespace(const struct corral_spawn_attrs *a) {
    if (syscall(SYS_setresgid, 0, 0, 0) != 0) corral_fail(a, CORRAL_STEP_SETRESGID, -1);
    if (syscall(SYS_setresuid, 0, 0, 0) != 0) corral_fail(a, CORRAL_STEP_SETRESUID, -1);
}

int corral_loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    ifr.ifr_flags = IFF_UP | IFF_RUNNING;
    int rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    int saved = errno;
    close(s);
    errno = saved;
    return rc;
}

static void apply_rlimits(const struct corral_spawn_attrs *a) {
    for (size_t i = 0; i < a->rlimit_count; i++) {
        struct rlimit rl = {.rlim_cur = a->rlimits[i].soft, .rlim_max = a->rlimits[i].hard};
        if (setrlimit(a->rlimits[i].resource, &rl) != 0) corral_fail(a, CORRAL_STEP_RLIMIT, (int)i);
    }
}

/* /proc/sys/user shows the caller's own user namespace, whatever procfs it is reached through. Opened first,
 * before any of the sandbox's mounts: once the root is assembled, the sandbox's /proc/sys is a read-only
 * bind, and in a RootNamespace this (the namespace's own procfs, underneath) is the only writable view. */
static int open_user_sysctls(const struct corral_spawn_attrs *a) {
    if (a->user_sysctl_count == 0) return -1;
    int dir = open("/proc/sys/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) corral_fail(a, CORRAL_STEP_USER_SYSCTL, -1);
    return dir;
}

/* Late in the recipe: every namespace and detached mount the recipe itself makes (open_tree clones count
 * against max_mnt_namespaces) exists by now, so the namespace limits can be 0. Writing needs
 * CAP_SYS_RESOURCE in this user namespace, which the capability drop below takes away for good. */
static void cap_user_counts(const struct corral_spawn_attrs *a, int dir) {
    if (dir < 0) return;
    for (size_t i = 0; i < a->user_sysctl_count; i++) {
        const struct corral_user_sysctl *s = &a->user_sysctls[i];
        int fd = openat(dir, s->name, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            if (s->optional && errno == ENOENT) continue;
            corral_fail(a, CORRAL_STEP_USER_SYSCTL, (int)i);
        }
        size_t len = corral_strlen(s->value);
        ssize_t n;
        do {
            n = write(fd, s->value, len);
        } while (n < 0 && errno == EINTR);
        if (n >= 0 && (size_t)n != len) errno = EIO;
        if (n < 0 || (size_t)n != len) corral_fail(a, CORRAL_STEP_USER_SYSCTL, (int)i);
        close(fd);
    }
    close(dir);
}

static void drop_capabilities(const struct corral_spawn_attrs *a) {
    for (int cap = 0; cap <= a->last_cap; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            corral_fail(a, CORRAL_STEP_CAP_BOUNDING, cap);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        corral_fail(a, CORRAL_STEP_CAP_AMBIENT, -1);
    if (prctl(PR_SET_SECUREBITS, CORRAL_SECUREBITS, 0, 0, 0) != 0) corral_fail(a, CORRAL_STEP_SECUREBITS, -1);
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0) corral_fail(a, CORRAL_STEP_CAPSET, -1);
}

/* The init is a copy of the supervisor: its /proc/1/cmdline would show the supervisor's command line to
 * the sandbox. Overwrite the copy of those bytes, and the thread name. */
static void rename_init(const struct corral_spawn_attrs *a) {
    static const char name[] = "corral-init";
    if (a->argv_area != NULL && a->argv_area_len >= sizeof name) {
        memset(a->argv_area, 0, a->argv_area_len);
        memcpy(a->argv_area, name, sizeof name);
    }
    prctl(PR_SET_NAME, name, 0, 0, 0);
}

static void load_seccomp(const struct corral_spawn_attrs *a) {
    if (a->seccomp_filter == NULL) return;
    struct sock_fprog prog = {.len = a->seccomp_len, .filter = (struct sock_filter *)a->seccomp_filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) corral_fail(a, CORRAL_STEP_SECCOMP, -1);
}

void corral_child(const struct corral_spawn_attrs *a) {
    corral_trace(a, CORRAL_TRACE_CLONED);
    /* Die with the supervisor thread that cloned us; the sync read below notices a parent that died first. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) corral_fail(a, CORRAL_STEP_PDEATHSIG, -1);
    int user_sysctls = open_user_sysctls(a);
    /* Binds and /proc create no files, so they need no id maps: make them while the parent writes those. */
    int rootfd = corral_setup_root_early(a);
    /* After the early root: in a RootNamespace only the sandbox's own /proc has a /proc/self. */
    reset_signals();
    corral_trace(a, CORRAL_TRACE_EARLY_ROOT);
    wait_for_parent(a);

    corral_trace(a, CORRAL_TRACE_RELEASED);
    become_root_in_namespace(a);
    rearm_parent_death_signal(a);
    if (a->namespaces & CLONE_NEWCGROUP) {
        /* Unshared only now, so the namespace's root is the sandbox's own cgroup on v1 hosts as well. */
        if (unshare(CLONE_NEWCGROUP) != 0) corral_fail(a, CORRAL_STEP_UNSHARE_CGROUP, -1);
    }
    corral_setup_root_late(a, rootfd);
    corral_trace(a, CORRAL_TRACE_ROOT_READY);
    if (a->hostname && sethostname(a->hostname, corral_strlen(a->hostname)) != 0)
        corral_fail(a, CORRAL_STEP_SETHOSTNAME, -1);
    if (a->loopback_up && corral_loopback_up() != 0) corral_fail(a, CORRAL_STEP_LOOPBACK, -1);
    apply_rlimits(a);
    cap_user_counts(a, user_sysctls);
    rename_init(a);
    if (setsid() < 0) corral_fail(a, CORRAL_STEP_SETSID, -1);
    drop_capabilities(a);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) corral_fail(a, CORRAL_STEP_NO_NEW_PRIVS, -1);
    /* The workload (same uid) must not reach the init through /proc/1/mem or ptrace. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) corral_fail(a, CORRAL_STEP_DUMPABLE, -1);
    load_seccomp(a);
    corral_trace(a, CORRAL_TRACE_CONFINED);
    corral_run_init(a);
}
