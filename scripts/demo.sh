#!/usr/bin/env bash
# A short tour of `corral run`: what a command sees from inside its sandbox. Used by `make run`.
set -uo pipefail
corral=${1:-.build/debug/corral}
show() { printf '\n\033[1m$ corral run'; printf ' %q' "$@"; printf '\033[0m\n'; "$corral" run "$@"; echo "(exit status $?)"; }

echo "Corral sandbox demo: each command below runs in a fresh sandbox."
show -- /usr/bin/id
show -- /bin/sh -c 'cat /proc/self/uid_map; grep -E "^(Cap(Eff|Bnd)|NoNewPrivs|Seccomp):" /proc/self/status'
show -- /bin/ls /proc
show -- /bin/sh -c 'ls /; touch /x'
show -- /bin/cat /proc/net/dev
show --memory 64M --report -- /usr/bin/python3 -c 'b = bytearray(256 << 20)'
show --timeout 1s --report -- /bin/sh -c 'sleep 30'
show --report -- /usr/bin/node -e 'console.log("node", process.version, "as uid", process.getuid())'
echo
echo "Try your own: $corral run --help"
