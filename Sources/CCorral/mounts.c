/* mounts.c: assembles the sandbox's root filesystem inside its mount namespace, then pivots into it.
 *
 * Targets are opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) relative to the new root and
 * mounted through /proc/self/fd/N, so a symlink planted anywhere on a target path is refused rather than
 * followed out of the root (CVE-2021-30465 and relatives). Binds use open_tree + mount_setattr +
 * move_mount, so a read-only bind is never visible writable, and flags apply to the whole subtree. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

size_t corral_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

char *corral_format_path(char *buf, size_t size, const char *prefix, unsigned int number, const char *suffix) {
    char digits[16];
    int n = 0;
    do {
        digits[n++] = (char)('0' + number % 10);
        number /= 10;
    } while (number && n < 15);
    size_t prefix_len = corral_strlen(prefix), suffix_len = corral_strlen(suffix);
    if (size < prefix_len + (size_t)n + suffix_len + 1) return NULL;
    memcpy(buf, prefix, prefix_len);
    size_t p = prefix_len;
    while (n) buf[p++] = digits[--n];
    memcpy(buf + p, suffix, suffix_len + 1);
    return buf;
}

static int open_in_root(int rootfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Splits "a/b/c" into an opened parent "a/b" and the last component "c" (copied into name). */
static int open_parent(int rootfd, const char *path, char *name, size_t name_size) {
    char parent[4096];
    size_t len = corral_strlen(path);
    if (len >= sizeof parent) {
        errno = ENAMETOOLONG;
        return -1;
    }
    size_t slash = len;
    while (slash > 0 && path[slash - 1] != '/') slash--;
    size_t name_len = len - slash;
    if (name_len == 0 || name_len >= name_size) {
        errno = EINVAL;
        return -1;
    }
    memcpy(name, path + slash, name_len + 1);
    if (slash == 0) {
        parent[0] = '.';
        parent[1] = 0;
    } else {
        memcpy(parent, path, slash - 1);
        parent[slash - 1] = 0;
    }
    return open_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
}

static uint64_t mount_attr_flags(int flags) {
    uint64_t attr = 0;
    if (flags & CORRAL_OPF_READONLY) attr |= MOUNT_ATTR_RDONLY;
    if (flags & CORRAL_OPF_NOSUID) attr |= MOUNT_ATTR_NOSUID;
    if (flags & CORRAL_OPF_NODEV) attr |= MOUNT_ATTR_NODEV;
    if (flags & CORRAL_OPF_NOEXEC) attr |= MOUNT_ATTR_NOEXEC;
    return attr;
}

static unsigned long classic_mount_flags(int flags) {
    unsigned long f = 0;
    if (flags & CORRAL_OPF_READONLY) f |= MS_RDONLY;
    if (flags & CORRAL_OPF_NOSUID) f |= MS_NOSUID;
    if (flags & CORRAL_OPF_NODEV) f |= MS_NODEV;
    if (flags & CORRAL_OPF_NOEXEC) f |= MS_NOEXEC;
    return f;
}

static int set_attrs(int fd, uint64_t attr, int recursive) {
    if (attr == 0) return 0;
    struct mount_attr ma;
    memset(&ma, 0, sizeof ma);
    ma.attr_set = attr;
    unsigned int at = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    return (int)syscall(SYS_mount_setattr, fd, "", at, &ma, sizeof ma);
}

static int same_string(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static int bind_tree(int rootfd, const struct corral_op *op, int target) {
    if (op->flags & CORRAL_OPF_SRC_FD) {
        /* Made by the parent, flags already set; moving it attaches it here (and uses it up). */
        if (op->src_fd < 0) {
            errno = ENOENT;
            return -1;
        }
        return (int)syscall(SYS_move_mount, op->src_fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    }
    int src;
    if ((op->flags & CORRAL_OPF_SRC_IN_ROOT) && same_string(op->src, op->dst)) {
        /* A path bound onto itself (a read-only /proc/sys): the target is already open. */
        src = (int)syscall(SYS_open_tree, target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
    } else if (op->flags & CORRAL_OPF_SRC_IN_ROOT) {
        int in = open_in_root(rootfd, op->src, O_PATH);
        if (in < 0) return -1;
        src = (int)syscall(SYS_open_tree, in, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        close(in);
    } else {
        src = (int)syscall(SYS_open_tree, AT_FDCWD, op->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    }
    if (src < 0) return -1;
    int rc = set_attrs(src, mount_attr_flags(op->flags), 1);
    if (rc == 0)
        rc = (int)syscall(SYS_move_mount, src, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int saved = errno;
    close(src);
    errno = saved;
    return rc;
}

int corral_open_bind_source(const char *src, int flags) {
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0) return -1;
    if (set_attrs(fd, mount_attr_flags(flags), 1) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int corral_open_beneath(int dirfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int corral_clone_bind_fd(int fd, int flags, int recursive) {
    unsigned int at = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    int tree = (int)syscall(SYS_open_tree, fd, "", at);
    if (tree < 0) return -1;
    if (set_attrs(tree, mount_attr_flags(flags), recursive) != 0) {
        int saved = errno;
        close(tree);
        errno = saved;
        return -1;
    }
    return tree;
}

/* Mounts a new filesystem on the opened directory `target` by standing in it: a path through
 * /proc/self/fd would need a /proc of our own pid namespace, which the first mount (proc itself, inside a
 * RootNamespace) does not have yet. The working directory is set again once the root is done. */
static int mount_fs(const char *type, int target, unsigned long flags, const char *data) {
    if (fchdir(target) != 0) return -1;
    return mount(type, ".", type, flags, data);
}

static int create_file(int rootfd, const struct corral_op *op) {
    char name[256];
    int parent = open_parent(rootfd, op->dst, name, sizeof name);
    if (parent < 0) return -1;
    int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op->mode);
    int saved = errno;
    close(parent);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    size_t off = 0;
    while (off < op->data_len) {
        ssize_t n = write(fd, op->data + off, op->data_len - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        off += (size_t)n;
    }
    close(fd);
    return 0;
}

static int make_dir_or_link(int rootfd, const struct corral_op *op) {
    char name[256];
    int parent = open_parent(rootfd, op->dst, name, sizeof name);
    if (parent < 0) return -1;
    int rc = op->kind == CORRAL_OP_MKDIR ? mkdirat(parent, name, op->mode) : symlinkat(op->src, parent, name);
    int saved = errno;
    close(parent);
    if (rc != 0 && saved == EEXIST && op->kind == CORRAL_OP_MKDIR) return 0;
    errno = saved;
    return rc;
}

int corral_apply_op(int rootfd, const struct corral_op *op) {
    switch (op->kind) {
    case CORRAL_OP_MKDIR:
    case CORRAL_OP_SYMLINK:
        return make_dir_or_link(rootfd, op);
    case CORRAL_OP_FILE:
        return create_file(rootfd, op);
    default:
        break;
    }
    int target = open_in_root(rootfd, op->dst, O_PATH);
    if (target < 0) return -1;
    int rc;
    switch (op->kind) {
    case CORRAL_OP_BIND:
        rc = bind_tree(rootfd, op, target);
        break;
    case CORRAL_OP_TMPFS:
        rc = mount_fs("tmpfs", target, classic_mount_flags(op->flags), op->data);
        break;
    case CORRAL_OP_PROC:
        rc = mount_fs("proc", target, classic_mount_flags(op->flags), NULL);
        break;
    case CORRAL_OP_REMOUNT_RO:
        rc = set_attrs(target, MOUNT_ATTR_RDONLY, 0);
        break;
    default:
        errno = EINVAL;
        rc = -1;
    }
    int saved = errno;
    close(target);
    errno = saved;
    return rc;
}

static void apply_ops(const struct corral_spawn_attrs *a, int rootfd, int early) {
    for (size_t i = 0; i < a->op_count; i++) {
        const struct corral_op *op = &a->ops[i];
        if (((op->flags & CORRAL_OPF_EARLY) != 0) != early) continue;
        if (corral_apply_op(rootfd, op) != 0) {
            if ((op->flags & CORRAL_OPF_OPTIONAL) && errno == ENOENT) continue;
            corral_fail(a, CORRAL_STEP_OP, (int)i);
        }
    }
}

int corral_setup_root_early(const struct corral_spawn_attrs *a) {
    /* Nothing we mount may propagate back to the host, nor host mounts into the sandbox. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) corral_fail(a, CORRAL_STEP_MOUNT_PRIVATE, -1);
    if (a->root_ns_fd >= 0) {
        /* Born inside a root namespace: "/" is already the sandbox's root. */
        int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) corral_fail(a, CORRAL_STEP_ROOT_OPEN, -1);
        apply_ops(a, rootfd, 1);
        return rootfd;
    }
    /* A tmpfs root is owned by whoever mounts it: it waits for the id maps, and so does every op. */
    if (a->root_source == NULL) return -1;
    struct corral_op root = {.kind = CORRAL_OP_BIND, .flags = CORRAL_OPF_READONLY | CORRAL_OPF_NOSUID | CORRAL_OPF_NODEV,
                             .src = a->root_source};
    int target = open(a->staging_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (target < 0 || bind_tree(AT_FDCWD, &root, target) != 0) corral_fail(a, CORRAL_STEP_ROOT_MOUNT, -1);
    close(target);
    int rootfd = open(a->staging_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) corral_fail(a, CORRAL_STEP_ROOT_OPEN, -1);
    apply_ops(a, rootfd, 1);
    return rootfd;
}

void corral_setup_root_late(const struct corral_spawn_attrs *a, int rootfd) {
    if (rootfd < 0) {
        if (mount("tmpfs", a->staging_dir, "tmpfs", MS_NOSUID | MS_NODEV, a->root_tmpfs_data) != 0)
            corral_fail(a, CORRAL_STEP_ROOT_MOUNT, -1);
        rootfd = open(a->staging_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) corral_fail(a, CORRAL_STEP_ROOT_OPEN, -1);
        apply_ops(a, rootfd, 1); /* none is marked early over a tmpfs root; kept for a caller that does */
    }
    apply_ops(a, rootfd, 0);
    if (a->root_ns_fd >= 0) {
        /* The namespace holds nothing but this root: no pivot, and no old root to detach. */
        close(rootfd);
        if (chdir(a->cwd ? a->cwd : "/") != 0) corral_fail(a, CORRAL_STEP_CHDIR, -1);
        return;
    }
    /* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the new root. */
    if (fchdir(rootfd) != 0) corral_fail(a, CORRAL_STEP_PIVOT_ROOT, -1);
    close(rootfd);
    if (syscall(SYS_pivot_root, ".", ".") != 0) corral_fail(a, CORRAL_STEP_PIVOT_ROOT, -1);
    if (umount2(".", MNT_DETACH) != 0) corral_fail(a, CORRAL_STEP_UMOUNT_OLD_ROOT, -1);
    if (chdir(a->cwd ? a->cwd : "/") != 0) corral_fail(a, CORRAL_STEP_CHDIR, -1);
}
