#!/usr/bin/env bash
# Make a busybox initramfs that runs one guest script and powers off.
#
# Usage: scripts/initramfs.sh OUT.cpio DIR...
#   The files of every DIR are copied into /knhk of the guest (later DIRs win
#   on equal names); one of them must provide guest.sh. The guest's /init
#   mounts proc, sysfs, devtmpfs, debugfs, prints `KNHK-GUEST-START`, runs
#   `sh /knhk/guest.sh` in /knhk, then prints `KNHK-GUEST-DONE rc=<its exit
#   code>` and powers off.
# Kernel command line options read by /init:
#   knhk.printk=N  console log level while the guest runs (default 5). The
#                  boot uses `quiet` (level 4), which would hide KERN_WARNING,
#                  the level lockdep splats are printed at.
# The archive is an uncompressed newc cpio; root is not needed to build it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

BUSYBOX=/bin/busybox

write_init() {
	cat >"$1" <<'EOF'
#!/bin/busybox sh
# knhk-sched test guest: set up, run /knhk/guest.sh, report, power off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
# --install reads /proc/self/exe, so proc comes first.
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
export PATH=/knhk:/sbin:/bin:/usr/sbin:/usr/bin HOME=/ TERM=dumb

level=5
for arg in $(cat /proc/cmdline); do
	case "$arg" in knhk.printk=*) level=${arg#knhk.printk=} ;; esac
done
echo "$level" >/proc/sys/kernel/printk

cd /knhk
# On a line of its own: the firmware leaves the console mid-line.
echo
echo "KNHK-GUEST-START"
sh /knhk/guest.sh
rc=$?
echo "KNHK-GUEST-DONE rc=$rc"
# Let the serial port drain the last lines before the power goes.
sync
sleep 0.5
poweroff -f
EOF
	chmod 755 "$1"
}

# A newc cpio entry for the character device dev/console (5:1). The kernel
# opens it as init's stdin/stdout before /init runs, so it has to be in the
# archive itself; writing it by hand avoids needing root for mknod.
console_cpio() {
	local name=dev/console namesize
	namesize=$((${#name} + 1))
	# magic ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 $((8#020600)) 0 0 1 0 0 0 0 5 1 "$namesize" 0
	# name, NUL, padded so that header (110) + name is a multiple of 4
	printf '%s\0' "$name"
	head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
	name=TRAILER!!!
	namesize=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 0 0 0 1 0 0 0 0 0 0 "$namesize" 0
	printf '%s\0' "$name"
	head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
}

main() {
	[ "$#" -ge 2 ] || die "usage: $0 OUT.cpio DIR..."
	local out=$1 d stage
	shift
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
	stage=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: $stage is local
	trap "rm -rf '$stage'" EXIT

	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,knhk}
	cp "$BUSYBOX" "$stage/bin/busybox"
	ln -s busybox "$stage/bin/sh"
	write_init "$stage/init"
	for d in "$@"; do
		[ -d "$d" ] || die "$d is not a directory"
		# -L: copy what symlinks point to, the guest has no host paths.
		cp -rL "$d/." "$stage/knhk/"
	done
	[ -f "$stage/knhk/guest.sh" ] || die "no guest.sh in: $*"

	mkdir -p "$(dirname "$out")"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$out"
	console_cpio >>"$out"
}

main "$@"
