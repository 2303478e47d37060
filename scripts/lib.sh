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

# --- second kernels (scripts/debug-kernel-kcsan.sh) ---------------------

# Build a kernel from linux-source-6.1: x86_64_defconfig + kvm_guest.config
# + the fragment $1, in the directory $2 (wiped first), and mark it done.
# Fails when an option of the fragment does not hold after olddefconfig.
# Prints nothing on stdout; the build's output goes to stderr.
knhk_build_kernel() {
	local frag=$1 dir=$2 src line want opt bad=0
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" -xf /usr/src/linux-source-6.1.tar.xz
	src=$dir/linux-source-6.1
	(
		cd "$src" || exit 1
		make -s x86_64_defconfig >&2 &&
			scripts/kconfig/merge_config.sh -m .config \
				kernel/configs/kvm_guest.config "$frag" >&2 &&
			make -s olddefconfig >&2
	) || return 1
	while read -r line; do
		case "$line" in
		CONFIG_*=*) want=$line ;;
		"# CONFIG_"*" is not set") want=$line ;;
		*) continue ;;
		esac
		opt=${want#\# }; opt=${opt%%[= ]*}
		if ! grep -qxF "$want" "$src/.config"; then
			case "$want" in "#"*) grep -q "^$opt=" "$src/.config" || continue ;; esac
			log "kernel config: wanted '$want', got '$(grep "${opt}[= ]" "$src/.config" || echo absent)'"
			bad=1
		fi
	done <"$frag"
	[ "$bad" = 0 ] || { log "kernel config does not hold $frag"; return 1; }
	make -C "$src" -s -j"$(($(nproc) + 1))" bzImage modules >&2 || return 1
	touch "$dir/.knhk-done"
}

# Cache directory of the KCSAN kernel: keyed by its fragment, its script,
# the builder function above and the source package version. Named
# kcsan-kernel-* so debug-kernel.sh's clean-up of old debug-kernel-* leaves
# it alone.
kcsan_kernel_dir() {
	local ver key
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (run: make deps)"
	key=$({ cat "$KNHK_TOP/scripts/debug-kernel-kcsan.config" \
		"$KNHK_TOP/scripts/debug-kernel-kcsan.sh"; declare -f knhk_build_kernel; } |
		sha256sum | cut -c1-16)
	echo "$KNHK_CACHE/kcsan-kernel-$ver-$key"
}

# KCSAN reports in a console log, split by whose they are. A report runs
# from its "BUG: KCSAN:" line to the next "=====" line, counting only the
# kernel's lines ("[ seconds] ..."; a test's output may come between).
# It is knhk-sched's if its title or a frame of one of its access stacks
# names knhk, or if it does not end; frames below an interrupt entry
# (asm_...) are the interrupted code's, not the racing access's. Else it
# is the kernel's own: its scheduler and tick code race under KCSAN with
# no module loaded, also in a timer interrupt that lands in our code.
# selftests/knhk_rel.h's rel_kmsg_bad() judges the same.
#   kcsan_reports own <log       the log without the kernel's own reports
#   kcsan_reports kernel <log    the "BUG: KCSAN" line of each of those
kcsan_reports() {
	awk -v want="$1" '
	function flush() {
		if (want == "own" && own)
			printf "%s", buf
		if (want == "kernel" && !own)
			print title
		blk = 0
	}
	!/^\[ *[0-9]+\.[0-9]+\] / { if (want == "own") print; next }
	/BUG: KCSAN:/ {
		if (blk)
			flush()
		blk = 1; buf = ""; title = $0; own = /knhk/; cut = 1
	}
	blk {
		buf = buf $0 "\n"
		if ($0 ~ / on cpu [0-9]+:$/)
			cut = 0		# an access stack starts
		else if ($0 ~ / asm_|Reported by Kernel Concurrency Sanitizer/)
			cut = 1
		else if (!cut && $0 ~ /knhk/)
			own = 1
		if ($0 ~ /======/)
			flush()
		next
	}
	want == "own" { print }
	END { if (blk) { own = 1; flush() } }'
}
