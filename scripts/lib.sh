# shellcheck shell=bash
# Shared settings for the scripts in this folder. Sourced, not run.

KNHK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Kept outside the clone so a fresh clone reuses the debug kernel.
KNHK_CACHE=${KNHK_CACHE:-/var/cache/knhk-sched}
KNHK_OUT=${KNHK_OUT:-$KNHK_TOP/out}

die() { echo "knhk: $*" >&2; exit 1; }
log() { echo "knhk: $*" >&2; }

# The stock Debian kernel of the demo and of most guests: bookworm's 6.1,
# the one linux-headers-amd64 depends on (not the newest installed: the
# 6.12 of scripts/kernels.sh is installed beside it).
stock_kver() {
	local kver
	kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ,]*-amd64\).*/\1/p')
	[ -n "$kver" ] && [ -e "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver/build" ] &&
		echo "$kver"
}

# Run a command in chroot $1 with /proc, /sys and /dev, and with $KNHK_OUT
# at /knhk-out (chroot_path), in a mount namespace of its own: the mounts
# go away with the command, however it ends.
knhk_chroot() {
	local root=$1
	shift
	mkdir -p "$root/knhk-out" "$KNHK_OUT"
	unshare --mount --propagation private -- sh -c '
		root=$1 out=$2
		shift 2
		mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys" &&
			mount --rbind /dev "$root/dev" && mount --bind "$out" "$root/knhk-out" &&
			exec chroot "$root" "$@"' sh "$root" "$KNHK_OUT" "$@"
}

# The path inside a knhk_chroot of $1, a path under $KNHK_OUT.
chroot_path() {
	case "$1" in
	"$KNHK_OUT"/*) echo "/knhk-out/${1#"$KNHK_OUT"/}" ;;
	*) die "$1 is not under $KNHK_OUT: a chroot cannot see it" ;;
	esac
}

# --- the test kernels (scripts/debug-kernel.sh, debug-kernel-kcsan.sh) --

# Build a kernel from linux-source-6.1 in the directory $2 (wiped first):
# tinyconfig + scripts/guest-kernel.config + the fragment $1, and mark it
# done. Fails when an option of either fragment does not hold after
# olddefconfig. Prints nothing on stdout; the build's output goes to stderr.
knhk_build_kernel() {
	local frag=$1 dir=$2 base=$KNHK_TOP/scripts/guest-kernel.config
	local src line want opt bad=0
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" -xf /usr/src/linux-source-6.1.tar.xz
	src=$dir/linux-source-6.1
	(
		cd "$src" || exit 1
		make -s tinyconfig >&2 &&
			scripts/kconfig/merge_config.sh -m .config "$base" "$frag" >&2 &&
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
	done < <(cat "$base" "$frag")
	[ "$bad" = 0 ] || { log "kernel config does not hold $base + $frag"; return 1; }
	make -C "$src" -s -j"$(($(nproc) + 1))" bzImage modules >&2 || return 1
	touch "$dir/.knhk-done"
}

# Cache directory of a test kernel: $KNHK_CACHE/$1-<source version>-<key>,
# keyed by the base and its fragment $2, the builder above and the source
# package version.
test_kernel_dir() {
	local ver key
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (run: make deps)"
	key=$({ cat "$KNHK_TOP/scripts/guest-kernel.config" "$2"
		declare -f knhk_build_kernel; } | sha256sum | cut -c1-16)
	echo "$KNHK_CACHE/$1-$ver-$key"
}

debug_kernel_dir() {
	test_kernel_dir debug-kernel "$KNHK_TOP/scripts/debug-kernel.config"
}

# Named kcsan-kernel-*, so that the clean-up of old debug-kernel-* below
# leaves it alone.
kcsan_kernel_dir() {
	test_kernel_dir kcsan-kernel "$KNHK_TOP/scripts/debug-kernel-kcsan.config"
}

# Build (once) the test kernel $1 (debug-kernel or kcsan-kernel) from the
# fragment $2, keep only the newest of its name in the cache, and print its
# build tree's path on stdout.
knhk_test_kernel() {
	local dir start old
	dir=$(test_kernel_dir "$1" "$2")
	if [ ! -f "$dir/.knhk-done" ]; then
		log "building $1 in $dir (about 15 minutes on 2 cores)"
		start=$(date +%s)
		knhk_build_kernel "$2" "$dir" || die "$1: build failed"
		log "$1 built in $(($(date +%s) - start))s"
		for old in "$KNHK_CACHE/$1"-*; do
			[ "$old" = "$dir" ] || rm -rf "$old"
		done
	fi
	echo "$dir/linux-source-6.1"
}

# KCSAN reports in a console log, split by whose they are. A report runs
# from its "BUG: KCSAN:" line to the next "=====" line, counting only the
# kernel's lines ("[ seconds] ..."; a test's output may come between).
# It is knhk-sched's if its title or a frame of one of its access stacks
# names knhk, or if it does not end; frames below an interrupt entry
# (asm_...) are the interrupted code's, not the racing access's. Else it
# is the kernel's own: its scheduler and tick code race under KCSAN with
# no module loaded, also in a timer interrupt that lands in our code.
# One more is the kernel's own whoever calls it: poll()'s wake-up flag,
# written by pollwake() and read by poll_schedule_timeout() with barriers
# but plain accesses (fs/select.c, 6.1), reported whenever our worker
# wakes a poller of the device.
# selftests/knhk_rel.h's rel_kmsg_bad() judges the same.
#   kcsan_reports own <log       the log without the kernel's own reports
#   kcsan_reports kernel <log    the "BUG: KCSAN" line of each of those
kcsan_reports() {
	awk -v want="$1" '
	function flush() {
		if (kernel_pair)
			own = 0
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
		kernel_pair = /pollwake/ && /poll_schedule_timeout/ && !/knhk/
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
	END { if (blk) { kernel_pair = 0; own = 1; flush() } }'
}
