#!/bin/sh
# The demo, inside a test guest (busybox sh). /knhk (or $KNHK_DIR) holds
# knhk_sched.ko and knhkctl. Loads the module, shows the ABI version, runs
# eight PURE tasks on four lanes, shows which lane and CPU ran each and its
# output, the per-lane statistics, and unloads the module.
# Exits non-zero on any failure; the last line is "knhk-demo: OK" on success.
set -u
dir=${KNHK_DIR:-/knhk}
ctl=$dir/knhkctl
loaded=0

fail() {
	echo "knhk-demo: FAILED: $*"
	[ "$loaded" = 1 ] && rmmod knhk_sched 2>/dev/null
	exit 1
}

step() { echo; echo "=== $*"; }

[ -x "$ctl" ] || fail "$ctl missing"
[ -f "$dir/knhk_sched.ko" ] || fail "$dir/knhk_sched.ko missing"

step "insmod knhk_sched.ko"
insmod "$dir/knhk_sched.ko" || fail "insmod"
loaded=1
# devtmpfs creates the node; give it a moment on a slow emulated guest.
i=0
while [ ! -c /dev/knhk_sched ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -c /dev/knhk_sched ] || fail "/dev/knhk_sched did not appear"
ls -l /dev/knhk_sched
echo "online CPUs: $(cat /sys/devices/system/cpu/online)"

step "knhkctl version"
"$ctl" version || fail "knhkctl version (exit $?)"

step "8 PURE tasks on 4 lanes (lane = id & 3)"
tasks=""
for id in 0 1 2 3 4 5 6 7; do tasks="$tasks pure:$id:$((id * 1000 + 7))"; done
# shellcheck disable=SC2086 # one word per task
"$ctl" run --lanes 4 --stats $tasks || fail "knhkctl run (exit $?)"

step "the same as JSON"
# shellcheck disable=SC2086
out=$("$ctl" run --lanes 4 --json $tasks) || fail "knhkctl run --json (exit $?)"
echo "$out"
n=$(echo "$out" | grep -c '"status": "OK"')
[ "$n" = 8 ] || fail "expected 8 OK completions, got $n"

step "rmmod knhk_sched"
rmmod knhk_sched || fail "rmmod"
loaded=0
[ -e /dev/knhk_sched ] && fail "/dev/knhk_sched still there after rmmod"
echo
echo "knhk-demo: OK"
