#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# knhkctl_follow_test - `knhkctl follow`, a replica of a live stream, against
# the loaded module, as TAP (busybox sh). Installed as OUT/knhkctl_follow_test
# by selftests/Makefile. knhkctl is looked up in $KNHKCTL, then beside this
# script's directory, then in PATH; streams are written here.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${KNHKCTL:-}" ]; then
	ctl=$KNHKCTL
elif [ -x "$here/../knhkctl" ]; then
	ctl=$here/../knhkctl
else
	ctl=knhkctl
fi
tmp=${TMPDIR:-/tmp}/knhkctl_follow_test.$$
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
	sed 's/^/# out: /' "$tmp/out" 2>/dev/null | tail -20
	sed 's/^/# err: /' "$tmp/err" 2>/dev/null | tail -20
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
check() {
	rm -f "$tmp/out" "$tmp/err"
	if "t_$1"; then ok "$1"; else not_ok "$1"; fi
}

# A stream as etcd gives it: revisions with gaps, several lines at one
# revision (a transaction), ordered tasks stamped with their revision,
# guard changes and shared-state loads among the tasks.
gen() {
	i=1
	rev=2
	while [ "$i" -le "$1" ]; do
		case $((i % 6)) in
		0) echo "@$rev ordered $rev pure $i $((i * 7))" ;;
		1) echo "@$rev pure $i $i guards=3" ;;
		2) echo "@$rev ordered $rev program $i 3 ; lds r1 0 ; add r0 r1 ; sts 0 r0" ;;
		3) echo "@$rev guard $([ $((i % 4)) = 3 ] && echo set || echo clear) 3" ;;
		4) echo "@$rev shared 0 $i $((i + 1))" ;;
		5) echo "@$rev program $i 1 ; ldl r1 0 ; add r0 r1 ; stl 0 r0" ;;
		esac
		# Every third line shares the next one's revision.
		[ $((i % 3)) = 0 ] || rev=$((rev + 1 + i % 2))
		i=$((i + 1))
	done
}

setup() {
	gen 300 >"$tmp/s.stream"
	last=$(tail -1 "$tmp/s.stream" | sed 's/^@\([0-9]*\) .*/\1/')
}

# Checkpoints at the last revision of every 50 and at the end; the last
# one is the stream's last revision.
t_checkpoints() {
	run 0 follow --every 50 --out "$tmp/a.out" --workload "$tmp/a.knhk" \
		"$tmp/s.stream" || return 1
	cmp -s "$tmp/out" "$tmp/a.out" || return 1
	[ "$(wc -l <"$tmp/a.out")" -ge 5 ] &&
		[ "$(tail -1 "$tmp/a.out" | cut -d' ' -f1)" = "$last" ] &&
		grep -q 'revisions applied' "$tmp/err"
}

# knhkctl run of the calls follow made gives its last digest.
t_same_as_run() {
	run 0 digest "$tmp/a.knhk" || return 1
	d=$(sed -n 's/^digest \([0-9a-f]*\) .*/\1/p' "$tmp/out")
	[ -n "$d" ] && [ "$(tail -1 "$tmp/a.out" | cut -d' ' -f2)" = "$d" ]
}

# The same stream on another instance: the same checkpoints, and so with
# the lanes on other CPUs (only the lane count is part of the digest).
t_repeatable() {
	run 0 follow --every 50 "$tmp/s.stream" && cmp -s "$tmp/out" "$tmp/a.out"
}

# --dump: the replay log of the instance, which verifies and holds the
# last checkpoint's digest.
t_dump() {
	run 0 follow --every 50 --dump "$tmp/f.log" "$tmp/s.stream" &&
		cmp -s "$tmp/out" "$tmp/a.out" || return 1
	d=$(tail -1 "$tmp/a.out" | cut -d' ' -f2)
	run 0 replay verify "$tmp/f.log" && grep -q "kernel $d: ok" "$tmp/out"
}

# A slow, bursty stream through a FIFO: bursts of lines, pauses between.
t_slow_fifo() {
	mkfifo "$tmp/fifo" || return 1
	(
		k=0
		while IFS= read -r l; do
			echo "$l"
			k=$((k + 1))
			[ $((k % 40)) = 0 ] && sleep 0.2
		done <"$tmp/s.stream"
	) >"$tmp/fifo" &
	run 0 follow --every 50 "$tmp/fifo"
	r=$?
	wait
	[ "$r" = 0 ] && cmp -s "$tmp/out" "$tmp/a.out"
}

# The stream starts over from its first revision (a restarted feed): a
# fresh instance, the same checkpoints again.
t_restart() {
	head -n 170 "$tmp/s.stream" >"$tmp/r.stream"
	cat "$tmp/s.stream" >>"$tmp/r.stream"
	run 0 follow --every 50 "$tmp/r.stream" || return 1
	grep -q 'starts over at revision 2' "$tmp/err" || return 1
	# The first pass's periodic checkpoints, then the whole second pass.
	grep -v "^$last " "$tmp/a.out" | awk -v r="$(sed -n 170p "$tmp/s.stream" |
		sed 's/^@\([0-9]*\) .*/\1/')" '$1 < r' >"$tmp/want"
	cat "$tmp/a.out" >>"$tmp/want"
	cmp -s "$tmp/out" "$tmp/want"
}

# '@eof' ends the stream: what follows is not read.
t_eof_marker() {
	{ cat "$tmp/s.stream"; echo "@eof"; echo "@1 frobnicate"; } >"$tmp/e.stream"
	run 0 follow --every 50 "$tmp/e.stream" && cmp -s "$tmp/out" "$tmp/a.out"
}

# Without '@' every line is the next revision: a workload file follows too.
t_plain_file() {
	printf 'pure 1 2\nordered 2 pure 2 3\n\n# c\nrelease all\n' >"$tmp/p.knhk"
	run 0 follow "$tmp/p.knhk" && grep -q '^3 [0-9a-f]\{16\} [0-9a-f]\{16\} [0-9]*$' "$tmp/out"
}

# A bad line stops the replica with the line and revision named, and no
# checkpoint after it.
t_bad_line() {
	{ head -n 100 "$tmp/s.stream"; echo "@$last frobnicate 1 2"; } >"$tmp/b.stream"
	run 2 follow --every 50 "$tmp/b.stream" &&
		grep -q "line 101 (revision $last): unknown or malformed line 'frobnicate'" "$tmp/err" &&
		grep -q 'stopping' "$tmp/err" && ! grep -q "^$last " "$tmp/out"
}

# A line the module rejects (budget 9 is past the limit of 8): exit 5.
t_rejected_line() {
	printf '@4 pure 1 1\n@9 pure 2 2 budget=9\n@10 pure 3 3\n' >"$tmp/j.stream"
	run 5 follow "$tmp/j.stream" &&
		grep -q 'line 2 (revision 9): KNHK_IOC_ENQUEUE failed: EINVAL' "$tmp/err" &&
		! grep -q '^9 ' "$tmp/out"
}

t_bad_revision() {
	printf '@4 pure 1 1\n@x pure 2 2\n' >"$tmp/x.stream"
	run 2 follow "$tmp/x.stream" && grep -q "line 2 (revision 4): expected '@REVISION LINE'" "$tmp/err"
}

# --marked: a line without its revision is damage, not the next revision.
t_marked() {
	run 0 follow --marked --every 50 "$tmp/s.stream" && cmp -s "$tmp/out" "$tmp/a.out" &&
		printf '@4 pure 1 1\nguard set 1\n' >"$tmp/m.stream" &&
		run 2 follow --marked "$tmp/m.stream" &&
		grep -q 'line 2 (revision 4): a line without its revision' "$tmp/err"
}

# Going back, but not to the start, is not a restart: an error.
t_went_back() {
	printf '@4 pure 1 1\n@7 pure 2 2\n@6 pure 3 3\n' >"$tmp/w.stream"
	run 2 follow "$tmp/w.stream" &&
		grep -q 'line 3 (revision 7): revision 6 after 7: the stream went back' "$tmp/err"
}

t_open_batch() {
	printf '@4 batch\n@4 pure 1 1\n' >"$tmp/o.stream"
	run 2 follow "$tmp/o.stream" && grep -q 'ended inside a batch' "$tmp/err"
}

t_no_stream() {
	run 13 follow "$tmp/nonexistent.stream" && grep -q nonexistent "$tmp/err"
}

setup
echo "TAP version 13"
echo "1..15"
check checkpoints
check same_as_run
check repeatable
check dump
check slow_fifo
check restart
check eof_marker
check plain_file
check bad_line
check rejected_line
check bad_revision
check marked
check went_back
check open_batch
check no_stream
[ "$failed" -eq 0 ]
