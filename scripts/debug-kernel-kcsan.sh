#!/usr/bin/env bash
# Build (once) the KCSAN kernel from linux-source-6.1 with
# scripts/debug-kernel-kcsan.config, cached outside the clone under a key
# made of the fragment, this script, lib.sh's knhk_build_kernel and the
# source package version (lib.sh: kcsan_kernel_dir). Prints the build
# tree's path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$(kcsan_kernel_dir)
if [ -f "$dir/.knhk-done" ]; then
	echo "$dir/linux-source-6.1"
	exit 0
fi

log "building the KCSAN kernel in $dir (about 10 minutes on 2 cores)"
start=$(date +%s)
knhk_build_kernel "$KNHK_TOP/scripts/debug-kernel-kcsan.config" "$dir" ||
	die "KCSAN kernel build failed"
log "KCSAN kernel built in $(($(date +%s) - start))s"
# Keep only the newest cached KCSAN kernel.
for old in "$KNHK_CACHE"/kcsan-kernel-*; do
	[ "$old" = "$dir" ] || rm -rf "$old"
done
echo "$dir/linux-source-6.1"
