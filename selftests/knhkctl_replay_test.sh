#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# knhkctl_replay_test - knhkctl's workloads and replay commands against the
# loaded module, as TAP (busybox sh). Installed as OUT/knhkctl_replay_test
# by selftests/Makefile. knhkctl is looked up in $KNHKCTL, then beside this
# script's directory, then in PATH; workloads are written here.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${KNHKCTL:-}" ]; then
	ctl=$KNHKCTL
elif [ -x "$here/../knhkctl" ]; then
	ctl=$here/../knhkctl
else
	ctl=knhkctl
fi
tmp=${TMPDIR:-/tmp}/knhkctl_replay_test.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
check() {
	rm -f "$tmp/out" "$tmp/err"
	if "t_$1"; then
		n=$((n + 1))
		echo "ok $n $1"
	else
		n=$((n + 1))
		failed=$((failed + 1))
		echo "not ok $n $1"
		sed 's/^/# out: /' "$tmp/out" 2>/dev/null | head -20
		sed 's/^/# err: /' "$tmp/err" 2>/dev/null | head -20
	fi
}
# run WANT_EXIT ARGS...: run knhkctl, succeed if it exits WANT_EXIT
run() {
	want=$1
	shift
	"$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	# verify and replay run check happens-before; make check counts these.
	grep '^happens-before: ' "$tmp/out" | sed 's/^/# /'
	[ "$rc" -eq "$want" ] && return 0
	echo "knhkctl $*: exit $rc, want $want" >>"$tmp/err"
	return 1
}

# A workload of every kind of call; task 12's payload is altered in B.
cat >"$tmp/a.knhk" <<'EOF'
config lanes=4 ring=64
guard set 7
pure 0..40 1000
pure 12 42 guards=7
pure 13 43 guards=7,8
program 20 5 ; ldi r1 3 ; mul r0 r1 ; stl 0 r0
program 24 1 ; ldl r1 0 ; add r0 r1
batch
pure 100 1 prio=low
pure 101 2 prio=high
end
shared 0 100 200
ordered 30 program 40 0 ; lds r0 0 ; ldi r1 1 ; add r0 r1 ; sts 0 r0
ordered 10 pure 41 3
release 20
release all
EOF
sed 's/^pure 12 42 /pure 12 43 /' "$tmp/a.knhk" >"$tmp/b.knhk"

t_dump() {
	run 0 run --dump "$tmp/a1.log" "$tmp/a.knhk" &&
		grep -q "^dump: .* 0 dropped" "$tmp/out" && [ -s "$tmp/a1.log" ]
}

t_verify() {
	run 0 replay verify "$tmp/a1.log" && grep -q '^verify: OK' "$tmp/out"
}

t_verify_json() {
	run 0 replay verify --json "$tmp/a1.log" && grep -q '"result": "OK"' "$tmp/out"
}

# The digest knhkctl digest prints is the one the log's header holds.
t_digest() {
	run 0 digest "$tmp/a.knhk" || return 1
	d=$(sed -n 's/^digest \([0-9a-f]*\) .*/\1/p' "$tmp/out")
	run 0 replay verify "$tmp/a1.log" && [ -n "$d" ] &&
		grep -q "kernel $d: ok" "$tmp/out"
}

t_exact_match() {
	run 0 replay dump "$tmp/a2.log" "$tmp/a.knhk" &&
		run 0 replay diff "$tmp/a1.log" "$tmp/a2.log" && grep -q '^EXACT_MATCH' "$tmp/out"
}

t_replay_run() {
	run 0 replay run --dump "$tmp/r.log" "$tmp/a1.log" && grep -q '^EXACT_MATCH' "$tmp/out" &&
		run 0 replay verify "$tmp/r.log"
}

t_diverged() {
	run 0 replay dump "$tmp/b.log" "$tmp/b.knhk" &&
		run 11 replay diff "$tmp/a1.log" "$tmp/b.log" &&
		grep -q '^DIVERGED: task 12 ' "$tmp/out" && grep -q '^first divergent event' "$tmp/out"
}

t_diverged_json() {
	run 11 replay diff --json "$tmp/a1.log" "$tmp/b.log" &&
		grep -q '"result": "DIVERGED"' "$tmp/out" && grep -q '"task_id": 12' "$tmp/out"
}

t_minor() {
	run 0 replay dump --lanes 4 "$tmp/p4.log" pure:0..99:5 &&
		run 0 replay dump --lanes 16 "$tmp/p16.log" pure:0..99:5 &&
		run 10 replay diff "$tmp/p4.log" "$tmp/p16.log" && grep -q '^MINOR_DIFFERENCE' "$tmp/out"
}

# Drop mode with the smallest buffers, read only after the run (--late):
# never a match, and exit 12. A reader running alongside can keep up with
# the producers (it did under KCSAN, where the kernel is slow), so drops
# are certain only when the buffers alone must hold the whole stream.
t_incomplete() {
	run 0 run --quiet --dump "$tmp/d.log" --drop --late --subbuf 8192 --nsubbufs 2 \
		'batch' pure:0..255:1 end pure:256..3000:2 || return 1
	grep -q '^dump: .* [1-9][0-9]* dropped' "$tmp/out" || return 1
	run 12 replay verify "$tmp/d.log" && run 12 replay diff "$tmp/d.log" "$tmp/d.log"
}

# Every log the tests above dumped holds happens-before (verify's exit 14
# otherwise): ordered tasks released after the submit clock passed their
# timestamps included.
t_verify_every_log() {
	for f in a1 a2 r b p4 p16; do
		run 0 replay verify "$tmp/$f.log" || return 1
		grep -q '^happens-before: ok, [0-9]* events checked' "$tmp/out" || return 1
	done
}

t_show() {
	run 0 replay show "$tmp/a1.log" && grep -q 'TaskExecuted lane0 seq 0' "$tmp/out" &&
		run 0 replay show --json "$tmp/a1.log" && grep -q '"events": \[' "$tmp/out"
}

t_missing_file() {
	run 13 replay verify "$tmp/nonexistent.log" && grep -q 'nonexistent' "$tmp/err"
}

t_truncated() {
	head -c 200 "$tmp/a1.log" >"$tmp/t.log"
	run 7 replay verify "$tmp/t.log" && grep -q 'truncated' "$tmp/err"
}

t_corrupt() {
	cp "$tmp/a1.log" "$tmp/c.log"
	printf 'X' | dd of="$tmp/c.log" bs=1 seek=300 conv=notrunc 2>/dev/null
	run 7 replay diff "$tmp/a1.log" "$tmp/c.log" && grep -q 'damaged' "$tmp/err"
}

t_not_a_log() {
	run 7 replay verify "$tmp/a.knhk" && grep -q 'not a knhk-sched replay log' "$tmp/err"
}

t_version() {
	cp "$tmp/a1.log" "$tmp/v.log"
	printf '\011' | dd of="$tmp/v.log" bs=1 seek=8 conv=notrunc 2>/dev/null
	run 8 replay verify "$tmp/v.log" && grep -q 'version 9' "$tmp/err"
}

t_bad_workload() {
	printf 'pure 1 2\nfrobnicate\n' >"$tmp/bad.knhk"
	run 2 run "$tmp/bad.knhk" && grep -q 'line 2' "$tmp/err"
}

# --late only with --drop (lossless producers would wait for the reader),
# --drop only with --dump.
t_dump_usage() {
	run 2 run --late --dump "$tmp/u.log" pure:1:1 && grep -q -- '--late needs --drop' "$tmp/err" &&
		run 2 run --drop pure:1:1 && grep -q -- '--drop needs --dump' "$tmp/err" &&
		[ ! -e "$tmp/u.log" ]
}

t_no_device() {
	run 3 --device /nonexistent/knhk_sched run pure:1:1
}

t_rejected_task() {
	run 5 run 'pure:1:1:budget=9' && grep -q 'EINVAL' "$tmp/err"
}

echo "TAP version 13"
echo "1..21"
check dump
check verify
check verify_json
check digest
check exact_match
check replay_run
check diverged
check diverged_json
check minor
check incomplete
check verify_every_log
check show
check missing_file
check truncated
check corrupt
check not_a_log
check version
check bad_workload
check dump_usage
check no_device
check rejected_task
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
