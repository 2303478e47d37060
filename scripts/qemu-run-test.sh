#!/usr/bin/env bash
# TAP test of qemu-run.sh's judgement of a failed boot: which console logs
# make it boot a kernel again (kernel_failed_alone: the kernel failed on its
# own, before any module was loaded) and which fail the run at once. The
# logs are short made-up console logs, shaped like the real ones.
#
# Usage: scripts/qemu-run-test.sh [WORKDIR]   (default: a temporary one)
set -euo pipefail
# shellcheck source=scripts/qemu-run.sh
. "$(dirname "$0")/qemu-run.sh"

dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
n=0 failed=0

# expect WANT NAME RC KCSAN: the log on stdin, booted again or not.
expect() {
	local want=$1 name=$2 rc=$3 kcsan=$4 got=final
	cat >"$dir/$name.log"
	kernel_failed_alone "$dir/$name.log" "$rc" "$kcsan" && got=again
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name: $want"
	else
		echo "not ok $n - $name: wanted $want, judged $got"
		failed=$((failed + 1))
	fi
}

oops() {
	cat <<OOPS
[    $1] Oops: int3: 0000 [#1] SMP NOPTI
[    $1] RIP: 0010:sched_clock_cpu+0x9/0x1f0
[    $1] Call Trace:
[    $1] Modules linked in: $2
[    $1] Kernel panic - not syncing: Fatal exception in interrupt
OOPS
}
loaded='[    4.81] knhk_sched: loading out-of-tree module taints kernel.'

expect final clean 0 0 <<LOG
KNHK-GUEST-START
$loaded
KNHK-GUEST-DONE rc=0
LOG
expect again int3-in-boot 0 0 < <(echo 'Booting from ROM..'; oops 2.70 '')
expect again hung-in-boot 124 0 <<<'Booting from ROM..'
expect again oops-before-insmod 0 0 < <(echo KNHK-GUEST-START; oops 3.01 '')
expect final oops-after-insmod 0 0 < <(echo KNHK-GUEST-START; echo "$loaded"; oops 5.20 knhk_sched)
expect final guest-failed 0 0 <<LOG
KNHK-GUEST-START
$loaded
KNHK-CASE not ok matrix -smp 4 7.3 perturb=0 hotplug=0 steal=0
KNHK-GUEST-DONE rc=1
LOG
expect final timeout-before-insmod 124 0 <<<KNHK-GUEST-START
kcsan_kernel='[    1.90] BUG: KCSAN: data-race in tick_sched_do_timer / tick_sched_do_timer
[    1.90] write to 0xffffffff8b2a1c40 of 4 bytes by interrupt on cpu 1:
[    1.90]  tick_sched_do_timer+0x2f/0x150
[    1.90] Reported by Kernel Concurrency Sanitizer on:
[    1.90] =================================================================='
expect final kcsan-kernel-own-with-K 0 1 < <(echo "$kcsan_kernel"; echo KNHK-GUEST-START)
expect again kcsan-kernel-own-without-K 0 0 < <(echo "$kcsan_kernel"; echo KNHK-GUEST-START)
# With -K the kernel's own reports are left out of the log as judged: the
# report of ours still comes after the module was loaded.
expect final kcsan-own-after-insmod-with-K 0 1 <<LOG
$kcsan_kernel
$kcsan_kernel
KNHK-GUEST-START
$loaded
[    6.10] BUG: KCSAN: data-race in knhk_worker_fn [knhk_sched] / knhk_submit [knhk_sched]
[    6.10] ==================================================================
LOG

echo "1..$n"
[ "$failed" = 0 ]
