#!/usr/bin/env bash
# Builds a minimal Debian root directory for `corral run --rootfs PATH` (stronger separation from the host
# than the default `host` root: the sandbox then sees none of the host's /usr).
#
#   rootfs/build-debian.sh [DIR] [SUITE]      # default: rootfs/debian, bookworm
#
# Needs root and debootstrap (installed with apt-get when missing). Adds python3 so Python functions run.
set -euo pipefail
dir=${1:-$(dirname "$0")/debian}
suite=${2:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[[ $(id -u) -eq 0 ]] || { echo "build-debian.sh: needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }
if [[ -e $dir/usr/bin/python3 ]]; then echo "build-debian.sh: $dir already holds a root"; exit 0; fi
mkdir -p "$dir"
debootstrap --variant=minbase --include=python3-minimal,ca-certificates "$suite" "$dir" "$mirror"
# corral mounts /proc, /dev and /tmp itself and refuses a root where they are not ordinary directories.
for d in proc dev tmp; do
  [[ -L $dir/$d ]] && rm "$dir/$d"
  mkdir -p "$dir/$d"
done
rm -rf "$dir"/var/cache/apt/archives/*.deb
echo "build-debian.sh: root ready at $dir; try: corral run --rootfs $(realpath "$dir") -- /usr/bin/python3 -V"
