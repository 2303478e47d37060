#!/bin/sh
# The demo, inside a test guest (busybox sh). /knhk (or $KNHK_DIR) holds
# knhk_sched.ko, knhkctl and workloads/ (tools/workloads). Loads the module,
# shows the ABI version, runs eight PURE tasks on four lanes, shows which
# lane and CPU ran each and its output, the per-lane statistics; then the
# replay log: a workload of every kind of call dumped twice (EXACT_MATCH),
# verified, replayed, run with one payload altered (DIVERGED, with the first
# divergence), and a stateless workload on 4 and 8 lanes (MINOR_DIFFERENCE);
# unloads the module.
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

step "seed example 1: PURE(42) as task 1 on 4 lanes runs on lane 1, in 1 tick"
"$ctl" run --lanes 4 pure:1:42 || fail "seed example 1 (exit $?)"

step "seed example 2: ordered tasks stamped 10 (task 100) and 5 (task 101)"
out=$("$ctl" run --lanes 4 --json ordered:10:pure:100:1 ordered:5:pure:101:2 \
	release:all) || fail "seed example 2 (exit $?)"
"$ctl" run --lanes 4 ordered:10:pure:100:1 ordered:5:pure:101:2 release:all
# The ordered chain's clock: the task stamped 5 runs first.
ts100=$(echo "$out" | tr '{' '\n' | grep '"task_id": 100,' | sed 's/.*"execute_ts": \([0-9]*\).*/\1/')
ts101=$(echo "$out" | tr '{' '\n' | grep '"task_id": 101,' | sed 's/.*"execute_ts": \([0-9]*\).*/\1/')
[ -n "$ts100" ] && [ -n "$ts101" ] && [ "$ts101" -lt "$ts100" ] ||
	fail "the task stamped 5 did not run first ($ts101 vs $ts100)"
echo "task 101 (stamped 5) ran at ordered time $ts101, before task 100 (stamped 10) at $ts100"

step "seed example 3: the same workload in two instances"
work="pure:0..63:7 program:64:5:budget=2;ldi:r1:3;add:r0:r1;add:r0:r1 ordered:30:pure:200:1 ordered:10:pure:201:2 release:all"
# shellcheck disable=SC2086 # one word per task
a=$("$ctl" digest --lanes 4 $work) || fail "digest, instance 1 (exit $?)"
# shellcheck disable=SC2086
b=$("$ctl" digest --lanes 4 $work) || fail "digest, instance 2 (exit $?)"
echo "instance 1: $a"
echo "instance 2: $b"
[ "$a" = "$b" ] || fail "the two instances' digests differ"
echo "EXACT_MATCH"

wl=$dir/workloads
[ -f "$wl/demo.knhk" ] || fail "$wl/demo.knhk missing"
logs=${TMPDIR:-/tmp}/knhk-demo
mkdir -p "$logs" || fail "mkdir $logs"

step "the demo workload (tools/workloads/demo.knhk)"
grep -v '^#' "$wl/demo.knhk" | grep -v '^$'

step "run it, streaming the replay log to run1.log (lossless)"
"$ctl" run --dump "$logs/run1.log" "$wl/demo.knhk" || fail "knhkctl run --dump (exit $?)"

step "replay verify: recompute the digest from the records"
"$ctl" replay verify "$logs/run1.log" || fail "replay verify (exit $?)"

step "the first records, in canonical (ts, source, seq) order"
"$ctl" replay show "$logs/run1.log" | head -n 12

step "a second run of the same workload, then replay diff: EXACT_MATCH"
"$ctl" replay dump "$logs/run2.log" "$wl/demo.knhk" >/dev/null || fail "second run (exit $?)"
"$ctl" replay diff "$logs/run1.log" "$logs/run2.log" || fail "diff of two runs (exit $?)"

step "replay run: the log's inputs fed to a new instance: EXACT_MATCH"
"$ctl" replay run "$logs/run1.log" || fail "replay run (exit $?)"

step "one payload altered (task 12: 42 -> 43), then replay diff: DIVERGED"
sed 's/^pure 12 42 guards=7$/pure 12 43 guards=7/' "$wl/demo.knhk" >"$logs/altered.knhk"
grep -q '^pure 12 43 ' "$logs/altered.knhk" || fail "could not alter the workload"
"$ctl" replay dump "$logs/altered.log" "$logs/altered.knhk" >/dev/null || fail "altered run"
"$ctl" replay diff "$logs/run1.log" "$logs/altered.log"
rc=$?
[ "$rc" = 11 ] || fail "replay diff: expected DIVERGED (exit 11), got exit $rc"

step "tasks without lane state on 4 and on 8 lanes: MINOR_DIFFERENCE"
"$ctl" replay dump --lanes 4 "$logs/lanes4.log" "$wl/stateless.knhk" >/dev/null || fail "4 lanes"
"$ctl" replay dump --lanes 8 "$logs/lanes8.log" "$wl/stateless.knhk" >/dev/null || fail "8 lanes"
"$ctl" replay diff "$logs/lanes4.log" "$logs/lanes8.log"
rc=$?
[ "$rc" = 10 ] || fail "replay diff: expected MINOR_DIFFERENCE (exit 10), got exit $rc"

step "rmmod knhk_sched"
rmmod knhk_sched || fail "rmmod"
loaded=0
[ -e /dev/knhk_sched ] && fail "/dev/knhk_sched still there after rmmod"
echo
echo "knhk-demo: OK"
