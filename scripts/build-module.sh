#!/usr/bin/env bash
# Build knhk_sched.ko (and knhk_sched_kunit.ko where the kernel has KUnit)
# against one kernel, warning-free.
#
# Usage: scripts/build-module.sh KDIR OUTDIR [extra make args...]
#   KDIR    kernel build tree (/lib/modules/VER/build, or a built source tree)
#   OUTDIR  private copy of the sources; objects, .ko files and build.log go
#           here. Out-of-tree builds write objects beside the sources, so each
#           kernel gets its own copy.
# Environment: SPARSE=1 adds C=1 (sparse on every file compiled).
#   KNHK_CHROOT=DIR builds inside that chroot (scripts/kernels.sh's trixie
#   one), KDIR being a path inside it; OUTDIR must then be under $KNHK_OUT.
#
# Fails if the build fails or build.log has any compiler, modpost or sparse
# finding. Prints one summary line on success, the findings on failure.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Copy a fresh tree: the build is always a full one, so every file's
# warnings land in this build's log (an incremental build would hide them).
stage_sources() {
	local out=$1 d
	if [ -e "$out" ] && [ ! -f "$out/Kbuild" ] && [ -n "$(ls -A "$out")" ]; then
		die "$out exists and is not a module build directory; not wiping it"
	fi
	rm -rf "$out"
	mkdir -p "$out"
	rsync -a "$KNHK_TOP/Kbuild" "$KNHK_TOP/dkms.conf" "$out/"
	for d in module include kunit; do
		[ -d "$KNHK_TOP/$d" ] && rsync -a "$KNHK_TOP/$d" "$out/"
	done
}

# Findings: gcc/sparse "file:line:col: warning:|error:" and modpost
# "WARNING:" lines. Sparse's messages use the same "warning:"/"error:" words.
findings() {
	grep -iE 'warning:|error:' "$1" || true
}

main() {
	[ "$#" -ge 2 ] || die "usage: $0 KDIR OUTDIR [make args...]"
	local kdir=$1 out=$2 start kver mods root=${KNHK_CHROOT:-}
	shift 2
	[ -f "$root$kdir/Makefile" ] || die "$root$kdir is not a kernel build tree"
	local -a args=(W=1)
	[ "${SPARSE:-0}" = 1 ] && args+=(C=1)

	start=$(date +%s)
	stage_sources "$out"
	out=$(cd "$out" && pwd)
	kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		"$root$kdir/include/generated/utsrelease.h" 2>/dev/null) || kver="?"

	local -a mk=(make -C "$kdir" M="$out" "${args[@]}" -j"$(nproc)" "$@" modules)
	[ -z "$root" ] || mk=(knhk_chroot "$root" make -C "$kdir" M="$(chroot_path "$out")" \
		"${args[@]}" -j"$(nproc)" "$@" modules)
	if ! "${mk[@]}" >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		die "module build for $kver failed (log: $out/build.log)"
	fi
	if [ -n "$(findings "$out/build.log")" ]; then
		findings "$out/build.log" >&2
		die "module build for $kver has warnings (log: $out/build.log)"
	fi
	mods=$(cd "$out" && find . -maxdepth 1 -name '*.ko' -printf '%f\n' | sort | tr '\n' ' ')
	[ -n "$mods" ] || die "module build for $kver produced no .ko (log: $out/build.log)"
	echo "knhk: built ${mods% } for $kver (${args[*]}) in $(($(date +%s) - start))s, in $out"
}

main "$@"
