/* Internal to the child sequence: shared between child.c, mounts.c, init.c and spawn.c. */
#ifndef CORRAL_INTERNAL_H
#define CORRAL_INTERNAL_H

#include "corral.h"

/* Reports (step, op, errno) on the error pipe and ends the child. errno is read here and nowhere else. */
__attribute__((noreturn)) void corral_fail(const struct corral_spawn_attrs *a, int step, int op_index);

/* The whole ordered recipe, run by the cloned child; never returns. */
__attribute__((noreturn)) void corral_child(const struct corral_spawn_attrs *a);

/* Assembles the new root on staging_dir in two halves. The early half (before the id maps exist) makes the
 * mounts private, binds the root when it is a directory and applies the ops marked CORRAL_OPF_EARLY; it
 * returns the open root (or -1 when the root is a tmpfs still to be made). The late half makes what the
 * early one left, applies the other ops, pivots into the root and detaches the old one. */
int corral_setup_root_early(const struct corral_spawn_attrs *a);
void corral_setup_root_late(const struct corral_spawn_attrs *a, int rootfd);

/* Forks the workload (which sets up its fds and execs) and stays as the reaping, forwarding pid 1. */
__attribute__((noreturn)) void corral_run_init(const struct corral_spawn_attrs *a);

/* Brings up lo in the calling thread's network namespace. Returns 0, or -1 with errno set. */
int corral_loopback_up(void);

/* Writes a trace point when tracing is on. */
void corral_trace(const struct corral_spawn_attrs *a, int phase);

/* Async-signal-safe string helpers. */
size_t corral_strlen(const char *s);
/* prefix + decimal number + suffix into buf ("/proc/self/fd/" 7 ""), or NULL when it does not fit. */
char *corral_format_path(char *buf, size_t size, const char *prefix, unsigned int number, const char *suffix);

#endif
