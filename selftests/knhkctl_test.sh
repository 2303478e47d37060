#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# knhkctl_test - knhkctl against the loaded module, as TAP (busybox sh).
# Installed as OUT/knhkctl_test by selftests/Makefile. knhkctl is looked up
# in $KNHKCTL, then beside this script's directory, then in PATH.
# Expected values come from the contract: mix64 of the splitmix64 golden
# gamma is splitmix64's first output, lane = id & (lanes - 1), clocks count
# from 1.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${KNHKCTL:-}" ]; then
	ctl=$KNHKCTL
elif [ -x "$here/../knhkctl" ]; then
	ctl=$here/../knhkctl
else
	ctl=knhkctl
fi
tmp=${TMPDIR:-/tmp}/knhkctl_test.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	sed 's/^/# out: /' "$tmp/out" 2>/dev/null | head -20
	sed 's/^/# err: /' "$tmp/err" 2>/dev/null | head -20
}
# run WANT_EXIT ARGS...: run knhkctl, succeed if it exits WANT_EXIT
run() {
	want=$1
	shift
	"$ctl" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want" ] && return 0
	echo "knhkctl $*: exit $rc, want $want" >>"$tmp/err"
	return 1
}
# check NAME: run the function t_NAME as one test case
check() {
	rm -f "$tmp/out" "$tmp/err"
	if "t_$1"; then ok "$1"; else not_ok "$1"; fi
}
# Lines of the human table, as "id lane cpu status ticks enq exec output".
rows() {
	awk '$1 ~ /^[0-9]+$/ && NF == 8' "$tmp/out"
}

t_version() {
	run 0 version && grep -q "^knhk_sched ABI [0-9]*\.[0-9]*" "$tmp/out"
}

# The module's ABI major is the one knhkctl was built for.
t_version_json() {
	run 0 version --json || return 1
	maj=$(sed -n 's/.*"abi_major": \([0-9]*\).*/\1/p' "$tmp/out")
	tmaj=$(sed -n 's/.*"tool_major": \([0-9]*\).*/\1/p' "$tmp/out")
	[ -n "$maj" ] && [ "$maj" = "$tmaj" ]
}

# mix64(0x9e3779b97f4a7c15) = 0xe220a8397b1dcdaf (splitmix64's first
# output); id 5 on the default 4 lanes is lane 1; the first task's clocks
# are 1 and 2.
t_pure_output() {
	run 0 run pure:5:0x9e3779b97f4a7c15 || return 1
	rows | grep -Eq '^ +5 +1 +[0-9]+ +OK +1 +1 +2 +0xe220a8397b1dcdaf$'
}

# Listed by task id, whatever the submission order.
t_sorted_by_id() {
	run 0 run --lanes 2 pure:9:1 pure:3:1 pure:6:1 pure:0:1 || return 1
	[ "$(rows | awk '{ printf "%s ", $1 }')" = "0 3 6 9 " ]
}

# ids 0..7 on 4 lanes, submitted in order: lane = id & 3, enqueue_ts id + 1,
# execute_ts id + 2 (each lane's clock runs behind the submit clock).
t_lanes_and_clocks() {
	run 0 run --lanes 4 pure:0:0 pure:1:0 pure:2:0 pure:3:0 \
		pure:4:0 pure:5:0 pure:6:0 pure:7:0 || return 1
	rows | awk '{ if ($2 != $1 % 4 || $6 != $1 + 1 || $7 != $1 + 2) bad = 1; n++ }
		END { exit bad || n != 8 }'
}

t_json() {
	run 0 run --json --lanes 8 pure:1:1 pure:2:2 pure:3:3 || return 1
	[ "$(grep -c '"status": "OK"' "$tmp/out")" = 3 ] &&
		grep -q '"lanes": 8' "$tmp/out"
}

# ids 0, 2, 4 go to lane 0 and 1 to lane 1 of 2.
t_stats() {
	run 0 run --lanes 2 --stats pure:0:0 pure:2:0 pure:4:0 pure:1:0 || return 1
	grep -Eq '^ +0 +3 +3$' "$tmp/out" && grep -Eq '^ +1 +1 +1$' "$tmp/out" &&
		grep -q 'submitted 4, executed 4, completed 4, in flight 0' "$tmp/out"
}

# Far more tasks than the instance holds (one lane, ring 2, cq 2): knhkctl
# must read completions while it submits.
t_more_tasks_than_room() {
	tasks=""
	i=0
	while [ "$i" -lt 300 ]; do
		tasks="$tasks pure:$i:$i"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086 # one word per task
	run 0 run --lanes 1 --ring 2 --cq 2 $tasks || return 1
	[ "$(rows | grep -Ec '^ +[0-9]+ +0 +[0-9]+ +OK ')" = 300 ] &&
		rows | grep -Eq '^ +299 +0 +[0-9]+ +OK +1 +300 +301 '
}

t_usage_errors() {
	run 2 && run 2 run && run 2 run foo:1:2 && run 2 run pure:x:1 &&
		run 2 run pure:1 && run 2 run --lanes x pure:1:1 && run 2 frobnicate
}

# The module rejects the configuration: exit 5, naming the call and errno.
t_bad_config() {
	run 5 run --lanes 3 pure:1:1 &&
		grep -q 'KNHK_IOC_CONFIGURE failed: EINVAL' "$tmp/err"
}

t_no_device() {
	run 3 --device /nonexistent/knhk_sched version &&
		grep -q 'not loaded' "$tmp/err"
}

t_help() {
	run 0 --help && grep -q 'Exit status' "$tmp/out"
}

echo "TAP version 13"
echo "1..12"
check version
check version_json
check pure_output
check sorted_by_id
check lanes_and_clocks
check json
check stats
check more_tasks_than_room
check usage_errors
check bad_config
check no_device
check help
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
