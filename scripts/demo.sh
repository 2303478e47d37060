#!/usr/bin/env bash
# `make demo`: build the module for the stock Debian kernel and knhkctl,
# boot that kernel under QEMU (4 vCPUs) and run scripts/demo-guest.sh in it,
# showing the guest's output live without the kernel's console noise.
#
# Usage: scripts/demo.sh [-v]    -v: show the whole console, kernel included
# Exit status: non-zero if a build or the run fails. The full console log
# is out/logs/demo.log.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

DEMO=$KNHK_OUT/demo
SCRIPTS=$KNHK_TOP/scripts

# Keep the guest's own lines: those between the start and end markers that
# are not kernel messages ("[    1.234] ..."). Our own "knhk:" lines (the
# verdict) pass too. Line by line, so the demo shows as it runs.
guest_lines() {
	awk '
	/^knhk: / { print; fflush(); next }
	/^KNHK-GUEST-START$/ { on = 1; next }
	/^KNHK-GUEST-DONE / { on = 0; next }
	on && !/^\[ *[0-9]+\.[0-9]+\]/ { print; fflush() }'
}

build() {
	local kver
	kver=$(stock_kver) || die "no stock kernel with headers: run scripts/deps.sh"
	"$SCRIPTS/build-module.sh" "/lib/modules/$kver/build" "$DEMO/module"
	mkdir -p "$KNHK_OUT/logs"
	make -s -C "$KNHK_TOP/tools" OUT="$DEMO/tools" >"$KNHK_OUT/logs/demo-tools.log" 2>&1 || {
		cat "$KNHK_OUT/logs/demo-tools.log" >&2
		die "building knhkctl failed"
	}
	echo "knhk: built knhkctl"
}

main() {
	local full=0
	[ "${1:-}" = -v ] && full=1
	"$SCRIPTS/deps.sh"
	build

	rm -rf "$DEMO/guest"
	mkdir -p "$DEMO/guest"
	cp "$DEMO/module/knhk_sched.ko" "$DEMO/tools/knhkctl" "$DEMO/guest/"
	cp -r "$DEMO/tools/workloads" "$DEMO/guest/"
	cp "$SCRIPTS/demo-guest.sh" "$DEMO/guest/guest.sh"
	"$SCRIPTS/initramfs.sh" "$DEMO/demo.cpio" "$DEMO/guest"

	echo "knhk: booting the stock kernel $(stock_kver) under QEMU (TCG, 4 vCPUs)"
	if [ "$full" = 1 ]; then
		"$SCRIPTS/qemu-run.sh" -n demo -i "$DEMO/demo.cpio" -s 4 -t 180 -v
	else
		"$SCRIPTS/qemu-run.sh" -n demo -i "$DEMO/demo.cpio" -s 4 -t 180 -v | guest_lines
	fi
}

main "$@"
