# shellcheck shell=bash
# Stage r of scripts/check.sh, sourced by it: replicas on several "machines"
# fed by etcd reach one digest, survive a restart, and expose divergence.
#
# etcd runs on 127.0.0.1 (free ports, a private data dir, stopped and removed
# whatever happens). Three replica guests of the stock kernel (-smp 1, 2 and
# 4 with a CPU offline: three lane-to-CPU placements) each run `knhkctl
# follow`, fed by their own `tools/knhk-etcd watch` from revision 1. Guests
# have no network: the stream goes in and the checkpoint digests come out
# on a second serial port (qemu-run.sh -S), and the host publishes them in
# etcd (knhk-etcd publish). A writer puts the tasks while the replicas run.
# Then:
#   - every replica's digest at the closing revision is the same, and equals
#     `knhkctl digest` of the calls replica A made, and `knhkctl replay run`
#     of A's log is EXACT_MATCH (in a guest of its own);
#   - replica B, killed mid-stream and booted again, catches up from etcd's
#     history to the same digests at the same revisions;
#   - replica D, fed the stream with one payload altered, publishes another
#     digest, `knhk-etcd check` names D, and `knhkctl replay diff` of A's log
#     and D's names the task.
# Uses STOCK_KVER, CHECK, LOGS, SCRIPTS, case_ok/case_fail of check.sh.

REPL_EVERY=10		# checkpoint every this many revisions
REPL_TXNS=50		# writer transactions...
REPL_TASKS=42		# ...of this many tasks each, plus guard and state lines
REPL_ALTERED=2506	# a PURE task, whose payload replica D sees altered
REPL_TIMEOUT=420	# per replica guest
REPL_PIDS=()		# host processes of the stage, ended by replicas_cleanup
REPL_DIR=
REPL_ETCD=

# Two free TCP ports on 127.0.0.1.
free_ports() {
	local p n=0
	for p in $(shuf -i 20000-59999 -n 40); do
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || continue
		echo "$p"
		n=$((n + 1))
		[ "$n" -lt 2 ] || return 0
	done
	return 1
}

# Whatever happens (failure, interrupt): stop what the stage started, by
# pid, and remove etcd's data.
replicas_cleanup() {
	local p
	for p in "${REPL_PIDS[@]}"; do
		kill -- "-$p" 2>/dev/null || true
	done
	# qemu-run.sh's timeout, in a process group of its own, ends its QEMU.
	for p in "$LOGS"/replica-*.log.pid; do
		[ ! -f "$p" ] || kill "$(cat "$p")" 2>/dev/null || true
	done
	# In a trap set -e holds: nothing here may fail.
	[ -z "$REPL_ETCD" ] || { kill "$REPL_ETCD" 2>/dev/null; wait "$REPL_ETCD" 2>/dev/null || true; }
	REPL_ETCD=
	REPL_PIDS=()
	[ -z "$REPL_DIR" ] || rm -rf "$REPL_DIR/etcd-data"
}

etcd_start() {
	local ports
	mapfile -t ports < <(free_ports)
	[ "${#ports[@]}" = 2 ] || return 1
	export ETCDCTL_ENDPOINTS=127.0.0.1:${ports[0]}
	etcd --name knhk --data-dir "$REPL_DIR/etcd-data" \
		--listen-client-urls "http://$ETCDCTL_ENDPOINTS" \
		--advertise-client-urls "http://$ETCDCTL_ENDPOINTS" \
		--listen-peer-urls "http://127.0.0.1:${ports[1]}" \
		--initial-advertise-peer-urls "http://127.0.0.1:${ports[1]}" \
		--initial-cluster "knhk=http://127.0.0.1:${ports[1]}" \
		>"$LOGS/replicas-etcd.log" 2>&1 &
	REPL_ETCD=$!
	for _ in $(seq 50); do
		env -u ETCDCTL_ENDPOINTS ETCDCTL_API=3 etcdctl --endpoints="$ETCDCTL_ENDPOINTS" endpoint health \
			>/dev/null 2>&1 && return 0
		kill -0 "$REPL_ETCD" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# The replica guest: hold ttyS1 open (opening it again would clear the
# UART's FIFO), make it raw, say it is ready, follow what comes in.
write_replica_guest() {
	guest_prelude
	cat <<'EOF'
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	knhk.replica=*) name=${arg#knhk.replica=} ;;
	knhk.offline=*) echo 0 >/sys/devices/system/cpu/cpu${arg#knhk.offline=}/online
		report $? "offline cpu${arg#knhk.offline=}" ;;
	esac
done
insmod /knhk/knhk_sched.ko
report $? "insmod knhk_sched.ko"
exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo
echo "online CPUs: $(cat /sys/devices/system/cpu/online)"
echo "KNHK-REPLICA-READY $name" >&3
/knhk/knhkctl follow --marked --every $EVERY --out /dev/ttyS1 --dump /tmp/r.log \
	--workload /tmp/r.knhk /dev/ttyS1
report $? "replica $name: follow to the end of the stream"
case "$name" in
A)
	emit_file A.log /tmp/r.log
	emit_file A.knhk /tmp/r.knhk ;;
D)
	emit_file D.log /tmp/r.log
	# Offline, on a fresh instance: replica A's calls and A's log.
	/knhk/knhkctl digest /knhk/A.knhk
	report $? "offline: knhkctl digest of replica A's calls"
	/knhk/knhkctl replay run /knhk/A.log
	report $? "offline: knhkctl replay run of replica A's log: EXACT_MATCH" ;;
esac
rmmod knhk_sched
report $? "rmmod knhk_sched"
exit $rc
EOF
}

# The host side of a replica's serial port, each in a session of its own
# so that cleanup ends the whole pipeline by its process group id.
#   replica_out RUN NAME DIR: the guest's lines; checkpoints are kept in
#     DIR/NAME.ckpt and published in etcd
#   replica_in RUN NAME DIR FILTER: once the guest holds its port open,
#     etcd's stream from revision 1, through FILTER
replica_out() {
	sed -u 's/\r$//' <"$1.out" | tee -a "$3/$2.serial" |
		grep --line-buffered -E '^[0-9]+ [0-9a-f]{16} ' | tee -a "$3/$2.ckpt" |
		"$KNHK_TOP/tools/knhk-etcd" publish "$2"
}
replica_in() {
	local _
	for _ in $(seq 600); do
		grep -q "^KNHK-REPLICA-READY" "$3/$2.serial" 2>/dev/null && break
		sleep 0.5
	done
	"$KNHK_TOP/tools/knhk-etcd" watch | "$4" >"$1.in"
}
# Replica D's filter: one payload altered.
alter_payload() {
	sed -u "s/^\(@[0-9]* pure $REPL_ALTERED\) [0-9]*\$/\1 1/"
}
in_session() { # FUNCTION ARGS...: run it in a new session, in the background
	setsid bash -c "$(declare -f replica_out replica_in alter_payload)
		KNHK_TOP='$KNHK_TOP' REPL_ALTERED='$REPL_ALTERED'; \"\$@\"" bash "$@" &
	REPL_PIDS+=($!)
}

# Boot replica $1 on $2 vCPUs in the background from initramfs $REPL_DIR/$5,
# fed by a watch of its own through $3 (cat, or alter_payload), with kernel
# arguments $4. Sets REPL_QEMU to the qemu-run.sh pid.
start_replica() {
	local name=$1 smp=$2 filter=$3 args=$4 run=$REPL_DIR/$1.$RANDOM
	mkfifo "$run.in" "$run.out"
	in_session replica_out "$run" "$name" "$REPL_DIR"
	in_session replica_in "$run" "$name" "$REPL_DIR" "$filter"
	setsid "$SCRIPTS/qemu-run.sh" -n "replica-$name" -k "/boot/vmlinuz-$STOCK_KVER" \
		-i "$REPL_DIR/$5.cpio" -s "$smp" -m 384M -t "$REPL_TIMEOUT" -S "$run" \
		-l "$LOGS/replica-$name.log" -a "knhk.replica=$name $args" \
		>"$REPL_DIR/$name.qemu" 2>&1 &
	REPL_QEMU=$!
	REPL_PIDS+=("$REPL_QEMU")
}

# Wait for replica guest $2 (qemu-run.sh pid) named $1; count it.
wait_replica() {
	local rc=0
	wait "$2" || rc=$?
	sed 's/^/   /' "$REPL_DIR/$1.qemu"
	if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
		case_ok
	else
		case_fail "replica $1: kernel error, timeout or unfinished guest (log: $LOGS/replica-$1.log)"
	fi
	count_guest_cases "replica-$1" "$LOGS/replica-$1.log"
}

# Transaction $1 of the writer: REPL_TASKS tasks (plain PURE and PROGRAM
# with lane state, some guarded; ordered ones on the shared state), a guard
# change and a shared-state load.
writer_txn() {
	local t=$1 k id lines=()
	lines+=("guard $([ $((t % 2)) = 0 ] && echo set || echo clear) $((t % 3))")
	lines+=("shared 0 $t $((t * 3 + 1))")
	for k in $(seq 0 $((REPL_TASKS - 1))); do
		id=$((t * 100 + k))
		case $((k % 6)) in
		0) lines+=("pure $id $((id * 7 + 1))") ;;
		1) lines+=("program $id $id ; ldl r1 0 ; add r0 r1 ; stl 0 r0") ;;
		2) lines+=("ordered pure $id $((id ^ 0x5a5a))") ;;
		3) lines+=("ordered program $id $id ; lds r1 0 ; mix r0 r1 ; sts 0 r0") ;;
		4) lines+=("pure $id $id guards=$((t % 3))") ;;
		5) lines+=("ordered program $id 1 ; lds r1 1 ; add r0 r1 ; sts 1 r0") ;;
		esac
	done
	"$KNHK_TOP/tools/knhk-etcd" put "${lines[@]}"
}

# The digest replica $1 published at revision $2, from its checkpoints.
ckpt_at() {
	awk -v r="$2" '$1 == r { d = $2 } END { print d }' "$REPL_DIR/$1.ckpt" 2>/dev/null
}

replica_row() { # name vcpus placement
	local applied
	applied=$(grep -ao 'follow: [0-9]* revisions applied' "$LOGS/replica-$1.log" |
		tail -1 | awk '{print $2}')
	printf '   | %-7s %5s  %-30s %9s  %s\n' "$1" "$2" "$3" "${applied:-?}" \
		"$(ckpt_at "$1" "$REPL_LAST")"
}

stage_replicas() {
	local start t q_a q_b q_c q_d kill_rev agree last b1 b2 diffout rc
	start=$(date +%s)
	if [ -z "$STOCK_KVER" ] && ! STOCK_KVER=$(stock_kver); then
		case_fail "replicas: no stock kernel"
		return 0
	fi
	if [ ! -f "$CHECK/stock/knhk_sched.ko" ] || [ ! -x "$CHECK/tools/knhkctl" ]; then
		case_fail "replicas: no module or knhkctl (stages b, e)"
		return 0
	fi
	if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
		case_fail "replicas: no etcd or etcdctl (scripts/deps.sh: etcd-server etcd-client)"
		return 0
	fi
	REPL_DIR=$CHECK/replicas
	rm -rf "$REPL_DIR"
	mkdir -p "$REPL_DIR/guest" "$LOGS"
	trap 'replicas_cleanup' EXIT
	trap 'replicas_cleanup; exit 130' INT TERM
	export KNHK_ETCD_PREFIX=/knhk-check
	if etcd_start; then
		case_ok
		echo "   etcd $(etcd --version | head -1 | awk '{print $3}') on $ETCDCTL_ENDPOINTS"
	else
		tail -n 20 "$LOGS/replicas-etcd.log" | sed 's/^/      /'
		case_fail "replicas: etcd did not start (log: $LOGS/replicas-etcd.log)"
		replicas_cleanup
		trap - EXIT INT TERM
		return 0
	fi
	cp "$CHECK/stock/knhk_sched.ko" "$CHECK/tools/knhkctl" "$REPL_DIR/guest/"
	{ echo "EVERY=$REPL_EVERY"; write_replica_guest; } >"$REPL_DIR/guest/guest.sh"
	"$SCRIPTS/initramfs.sh" "$REPL_DIR/replica.cpio" "$REPL_DIR/guest" ||
		{ case_fail "replicas: initramfs"; replicas_cleanup; trap - EXIT INT TERM; return 0; }

	# Three replicas; the writer puts while they boot and run.
	start_replica A 1 cat "" replica; q_a=$REPL_QEMU
	start_replica B 2 cat "" replica; q_b=$REPL_QEMU
	start_replica C 4 cat "knhk.offline=1" replica; q_c=$REPL_QEMU
	for t in $(seq 1 "$REPL_TXNS"); do
		last=$(writer_txn "$t") || { case_fail "replicas: writer: put failed"; break; }
		# Half way: replica B is killed once it has a checkpoint, and
		# booted again; it has to catch up from etcd's history.
		if [ "$t" = $((REPL_TXNS / 2)) ]; then
			for _ in $(seq 120); do
				[ "$(wc -l <"$REPL_DIR/B.ckpt")" -ge 2 ] && break
				sleep 1
			done
			kill_rev=$(tail -1 "$REPL_DIR/B.ckpt" 2>/dev/null | cut -d' ' -f1)
			kill "$(cat "$LOGS/replica-B.log.pid" 2>/dev/null)" 2>/dev/null
			wait "$q_b" 2>/dev/null
			mv "$REPL_DIR/B.ckpt" "$REPL_DIR/B-killed.ckpt" 2>/dev/null
			mv "$REPL_DIR/B.serial" "$REPL_DIR/B-killed.serial" 2>/dev/null
			mv "$LOGS/replica-B.log" "$LOGS/replica-B-killed.log" 2>/dev/null
			echo "   replica B killed at writer revision $last (its last checkpoint: ${kill_rev:-none}); booting it again"
			start_replica B 2 cat "" replica; q_b=$REPL_QEMU
		fi
	done
	REPL_CLOSE=$("$KNHK_TOP/tools/knhk-etcd" close)
	echo "   writer: $((REPL_TXNS * REPL_TASKS)) tasks, $REPL_TXNS guard changes and" \
		"$REPL_TXNS shared-state loads in $REPL_TXNS transactions; closed at revision $REPL_CLOSE"
	if [ $((REPL_TXNS * REPL_TASKS)) -ge 2000 ]; then
		case_ok
	else
		case_fail "replicas: fewer than 2,000 tasks"
	fi
	wait_replica A "$q_a"
	wait_replica B "$q_b"
	wait_replica C "$q_c"
	# The replicas' last checkpoint is at the writer's last revision.
	REPL_LAST=$last
	# Placement: lane l on the (l mod n)-th online CPU (README, Using it).
	echo "   | replica vCPUs  lanes 0-3 on CPUs               revisions  digest at revision ${REPL_LAST:-?}"
	replica_row A 1 "0 0 0 0"
	replica_row B 2 "0 1 0 1"
	replica_row C 4 "0 2 3 0 (cpu1 offline)"
	agree=$("$KNHK_TOP/tools/knhk-etcd" check "${REPL_LAST:-0}") && rc=0 || rc=$?
	echo "   $agree"
	if [ "$rc" = 0 ] && [ -n "$(ckpt_at A "$REPL_LAST")" ]; then
		case_ok
	else
		case_fail "replicas: A, B, C disagree at revision ${REPL_LAST:-?}"
	fi
	# Restart: the same digests at every revision both lives of B checkpointed.
	b1=$(LC_ALL=C join <(LC_ALL=C sort "$REPL_DIR/B-killed.ckpt" 2>/dev/null) \
		<(LC_ALL=C sort "$REPL_DIR/B.ckpt") |
		awk '$2 == $5 { n++ } $2 != $5 { bad++ } END { print n + 0, bad + 0 }')
	b2=$(ckpt_at B "$REPL_LAST")
	echo "   restart: replica B killed after its checkpoint at revision ${kill_rev:-none}," \
		"booted again, caught up from etcd's history: ${b1% *} earlier checkpoints equal," \
		"${b1#* } differ; at revision $REPL_LAST ${b2:-no digest} (A: $(ckpt_at A "$REPL_LAST"))"
	if [ -n "$kill_rev" ] && [ "${b1% *}" -ge 1 ] && [ "${b1#* }" = 0 ] &&
		[ -n "$b2" ] && [ "$b2" = "$(ckpt_at A "$REPL_LAST")" ]; then
		case_ok
	else
		case_fail "replicas: restarted replica B did not catch up to the same digests"
	fi

	# Divergence: D sees one payload altered; the offline runs of A's
	# calls and log go in its guest.
	mkdir -p "$REPL_DIR/guest-d"
	if guest_file "$LOGS/replica-A.log" A.log "$REPL_DIR/guest-d/A.log" &&
		guest_file "$LOGS/replica-A.log" A.knhk "$REPL_DIR/guest-d/A.knhk"; then
		case_ok
	else
		case_fail "replicas: no replay log or calls came out of replica A"
	fi
	"$SCRIPTS/initramfs.sh" "$REPL_DIR/replica-d.cpio" "$REPL_DIR/guest" "$REPL_DIR/guest-d"
	start_replica D 2 alter_payload "" replica-d
	q_d=$REPL_QEMU
	wait_replica D "$q_d"
	grep -a -A1 'knhkctl digest\|^digest ' "$LOGS/replica-D.log" | grep -a '^digest ' |
		head -1 | sed 's/^/   offline knhkctl digest of A'"'"'s calls: /'
	if grep -aq "^digest $(ckpt_at A "$REPL_LAST") " "$LOGS/replica-D.log"; then
		case_ok
	else
		case_fail "replicas: the offline run of A's calls gave another digest"
	fi
	agree=$("$KNHK_TOP/tools/knhk-etcd" check "$REPL_LAST") && rc=0 || rc=$?
	echo "   divergence: $agree"
	if [ "$rc" = 1 ] && grep -q ' D (' <<<"$agree" && ! grep -q ' [ABC] (' <<<"$agree"; then
		case_ok
	else
		case_fail "replicas: knhk-etcd check did not name replica D alone"
	fi
	rc=0
	if guest_file "$LOGS/replica-D.log" D.log "$REPL_DIR/D.log"; then
		diffout=$("$CHECK/tools/knhkctl" replay diff "$REPL_DIR/guest-d/A.log" \
			"$REPL_DIR/D.log" 2>&1) || rc=$?
		echo "$diffout" | head -4 | sed 's/^/   | /'
	fi
	if [ "$rc" = 11 ] && grep -q "^DIVERGED: task $REPL_ALTERED " <<<"$diffout"; then
		case_ok
		echo "   divergence: replica D at revision $REPL_LAST, task $REPL_ALTERED" \
			"(knhk-etcd check and knhkctl replay diff name them)"
	else
		case_fail "replicas: knhkctl replay diff of A's and D's logs did not name task $REPL_ALTERED (exit $rc)"
	fi

	replicas_cleanup
	trap - EXIT INT TERM
	if [ ! -d "$REPL_DIR/etcd-data" ] && ! kill -0 "$REPL_ETCD" 2>/dev/null; then
		case_ok
	else
		case_fail "replicas: etcd not stopped or its data not removed"
	fi
	hb_count replicas "$LOGS/replica-D.log"
	unset ETCDCTL_ENDPOINTS KNHK_ETCD_PREFIX
	echo "   replicas: $(($(date +%s) - start))s"
}
