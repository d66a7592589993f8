#!/usr/bin/env bash
# Runs the privileged test suites inside a throwaway VM with a pure cgroup v2 (or v1) layout.
#   scripts/run-in-vm.sh VM_RUN v2|v1 TEST_BUNDLE
# The VM sees this machine's files read-only, so the test bundle and the corral binary next to it run
# there unchanged. CI=true makes every privileged test run (or fail) instead of skipping.
set -euo pipefail
vm_run=$1 cgroup=$2 bundle=$(realpath "$3")
# The VM sees this machine's files read-only, except /tmp, /run and /var/tmp, which are fresh there: a
# checkout under one of them (CI's clone may be under /tmp) is shared explicitly, or the bundle is missing.
checkout=$(cd "$(dirname "$0")/.." && pwd -P)
share=()
case "$checkout" in /tmp/*|/run/*|/var/tmp/*) share=(--rw "$checkout") ;; esac
# The seccomp kernel probes do not depend on the cgroup layout; they run on this host only. The server
# tests (which start `corral serve`) run on this host only too: under the emulated VM a trial of one of
# them did not finish in 15 minutes. The nested cgroups they use are PrivilegedCgroupTests', run here.
suites='CorralPrivilegedTests|PrivilegedCgroupTests'
echo "test-cgroup2: running the privileged suites in a cgroup $cgroup VM (boot ~15 s, then slower than here)"
exec "$vm_run" --cgroup "$cgroup" --mem 3072 --timeout 1800 "${share[@]}" -- \
  env CI=true "$bundle" --testing-library swift-testing --filter "$suites"
