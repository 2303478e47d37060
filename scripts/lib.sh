# shellcheck shell=bash
# Shared settings for the scripts in this folder. Sourced, not run.

KNHK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Kept outside the clone so a fresh clone reuses the debug kernel.
KNHK_CACHE=${KNHK_CACHE:-/var/cache/knhk-sched}
KNHK_OUT=${KNHK_OUT:-$KNHK_TOP/out}

die() { echo "knhk: $*" >&2; exit 1; }
log() { echo "knhk: $*" >&2; }

# The stock Debian kernel: the newest installed image with headers.
stock_kver() {
	local d
	for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V -r); do
		d=${d%/build}; d=${d##*/}
		[ -e "/boot/vmlinuz-$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# Cache key of the debug kernel: the fragment, the builder and the source
# package version.
debug_kernel_dir() {
	local ver key
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (run: make deps)"
	key=$(cat "$KNHK_TOP/scripts/debug-kernel.config" \
		"$KNHK_TOP/scripts/debug-kernel.sh" | sha256sum | cut -c1-16)
	echo "$KNHK_CACHE/debug-kernel-$ver-$key"
}
