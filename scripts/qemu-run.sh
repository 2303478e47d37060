#!/usr/bin/env bash
# Boot a kernel with an initramfs from scripts/initramfs.sh under QEMU (TCG,
# no KVM here) and judge the run from its console log.
#
# Usage: scripts/qemu-run.sh -i INITRD [options]
#   -i INITRD  initramfs (required)
#   -k IMAGE   kernel image (default: the stock Debian kernel's vmlinuz)
#   -n NAME    run name (default: INITRD's base name); names the log
#   -l LOG     console log path (default: out/logs/NAME.log)
#   -s N       virtual CPUs (default 4)
#   -m SIZE    guest memory (default 1G)
#   -t SECS    timeout (default 300); a timeout fails the run
#   -a ARGS    extra kernel command line
#   -S PIPE    a second serial port, the guest's ttyS1, on the host FIFOs
#              PIPE.in (to the guest) and PIPE.out (from it): a channel
#              beside the console for guests, which have no network
#   -K         KCSAN reports of the kernel's own (kcsan_reports in lib.sh)
#              do not fail the run; knhk-sched's do
#   -v         also copy the console to stdout while it runs
#
# PASS needs the marker `KNHK-GUEST-DONE rc=0` and no kernel error report
# (oops, warning, KASAN/UBSAN/lockdep/kmemleak/hung task) in the log. Prints
# one line on success; on failure the offending lines and the log's path.
# Exit status: 0 pass; 3 the kernel stayed clean and the guest finished but
# its script exited non-zero (callers that count the guest's own test
# results use this to not count a failing test twice); 1 any other failure.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Kernel error reports, matched as fixed strings, case-sensitive. Checked
# against full boot logs (loglevel=8) of the stock and the debug kernel:
# none appears in a clean boot. Not a bare "lockdep": the debug kernel's
# boot banner says "RCU lockdep checking is enabled"; lockdep's own reports
# start with WARNING:/BUG:/INFO: lines and end with "lockdep is turned off".
BAD_PATTERNS=(
	'BUG:'
	'kernel BUG at'
	'WARNING:'
	'Oops'
	'Kernel panic'
	'KASAN'
	'UBSAN'
	'possible recursive locking'
	'possible circular locking'
	'lockdep is turned off'
	'locking correctness validator'
	'unreferenced object'
	'Call Trace:'
	'general protection fault'
	'INFO: task'
	'detected stall'
)
MARKER_OK='KNHK-GUEST-DONE rc=0'
# Seconds a kernel may take to boot to the guest script (the debug
# kernels take up to a minute under load; a stock one a few seconds).
BOOT_DEADLINE=${KNHK_BOOT_DEADLINE:-240}
# Boots of a kernel that fails on its own before a module is loaded
# (kernel_failed_alone): at about one such failure in eight boots (7.3,
# -smp 4), four boots leave one run in 4,000 failing for it.
BOOTS=${KNHK_BOOTS:-4}
# What a failing guest prints: TAP/KTAP "not ok", kselftest "FAIL", our
# guest scripts' "KNHK-CASE not ok", the demo's "FAILED".
GUEST_FAIL_RE='not ok |FAIL'

# The failures in a guest's console log: each failed kselftest with what it
# logged between its RUN line and its "not ok" (the assertion and TH_LOG
# lines that say why), and any other failure line outside a test. Skips
# are left out, even when their reason names a CONFIG_FAIL* option.
guest_failures() {
	awk -v re="$GUEST_FAIL_RE" '
	/^# +RUN / { inrun = 1; n = 0 }
	inrun { if (n < 30) buf[n++] = $0; }
	/^(not )?ok [0-9]+ / {
		if ($1 == "not" && $0 !~ /# SKIP/)
			for (i = 0; i < n; i++) print buf[i]
		if (inrun && $1 == "not" && n >= 30) print
		inrun = 0; n = 0; next
	}
	!inrun && $0 ~ re && $0 !~ /SKIP/ { print }
	' "$1"
}

clean_console() {
	sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g'
}

usage() {
	sed -n '/^# Usage/,/^# *-v/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# Print the log lines that fail the run, with their line numbers. The
# base64 lines of a file a guest prints (emit_file in check.sh) are not
# looked at: "Oops" or "KASAN" turn up in megabytes of base64.
bad_lines() {
	local -a args=()
	local p
	for p in "${BAD_PATTERNS[@]}"; do args+=(-e "$p"); done
	sed '/^KNHK-FILE-BEGIN /,/^KNHK-FILE-END$/s|^[A-Za-z0-9+/=]*$||' "$1" |
		grep -n -F "${args[@]}" || true
}

# The console log as it is judged: with $2 = 1 (-K), without the kernel's
# own KCSAN reports.
judged_log() {
	if [ "$2" = 1 ]; then
		kcsan_reports own <"$1"
	else
		cat "$1"
	fi
}

# The kernel error report lines that fail a run, numbered in judged_log.
judged_bad() {
	bad_lines <(judged_log "$1" "$2")
}

# Whether the boot logged in $1 (qemu's status $2, -K $3) failed on the
# kernel's own account: it failed or hung before the guest started, or its
# first error report came before any out-of-tree module was loaded (the
# kernel says so once, at the first such module, at KERN_WARNING: shown
# because the guest's /init sets the console level to 5, knhk.printk). A
# log without that line counts every report as the kernel's own.
# Nothing of ours had run.
kernel_failed_alone() {
	local logf=$1 rc=$2 kcsan_own=$3 first oot
	if ! grep -q '^KNHK-GUEST-START$' "$logf"; then
		[ -n "$(judged_bad "$logf" "$kcsan_own")" ] || [ "$rc" != 0 ]
		return
	fi
	first=$(judged_bad "$logf" "$kcsan_own" | head -n 1)
	[ -n "$first" ] || return 1
	oot=$(judged_log "$logf" "$kcsan_own" |
		grep -n -m 1 -F 'loading out-of-tree module taints kernel' || true)
	[ -z "$oot" ] || [ "${first%%:*}" -lt "${oot%%:*}" ]
}

main() {
	local initrd='' image='' name='' logf='' smp=4 mem=1G tmo=300 extra='' verbose=0
	local kcsan_own=0 serial2=''
	local opt
	while getopts 'i:k:n:l:s:m:t:a:S:Kvh' opt; do
		case "$opt" in
		i) initrd=$OPTARG ;;
		k) image=$OPTARG ;;
		n) name=$OPTARG ;;
		l) logf=$OPTARG ;;
		s) smp=$OPTARG ;;
		m) mem=$OPTARG ;;
		t) tmo=$OPTARG ;;
		a) extra=$OPTARG ;;
		S) serial2=$OPTARG ;;
		K) kcsan_own=1 ;;
		v) verbose=1 ;;
		*) usage ;;
		esac
	done
	[ -n "$initrd" ] || usage
	[ -f "$initrd" ] || die "no initramfs $initrd"
	if [ -z "$image" ]; then
		image=/boot/vmlinuz-$(stock_kver) || die "no stock kernel found"
	fi
	[ -r "$image" ] || die "cannot read kernel image $image (root needed for /boot)"
	[ -n "$name" ] || name=$(basename "${initrd%.cpio}")
	[ -n "$logf" ] || logf=$KNHK_OUT/logs/$name.log
	mkdir -p "$(dirname "$logf")"

	local cmdline="console=ttyS0 quiet panic=-1 panic_on_warn=1 oops=panic $extra"
	# No 5-level paging: the KASAN debug kernel, given LA57, now and then
	# reports a wild access in an interrupt taken early in boot, before
	# any of our code runs.
	local -a qemu=(qemu-system-x86_64 -accel "tcg,thread=multi" -cpu "max,la57=off"
		-smp "$smp" -m "$mem" -nographic -no-reboot -nic none
		-kernel "$image" -initrd "$initrd" -append "$cmdline")
	# Naming one serial port drops -nographic's default console: name
	# both. QEMU opens both FIFOs read-write: it never waits for the
	# other end.
	[ -z "$serial2" ] || qemu+=(-serial mon:stdio -chardev "pipe,id=knhk1,path=$serial2"
		-serial chardev:knhk1)
	local start rc=0 secs attempt waited stopped
	# A kernel that fails on its own, before the guest loads any module,
	# is booted again, up to $BOOTS boots: under TCG with several vCPUs,
	# Debian's 6.12 and 7.3 now and then take an int3 left behind by the
	# kernel's own text patching of a static key in boot (run_timer_softirq
	# at 1.7 s on 6.12; sched_clock_cpu, set_next_task_fair at 2.2-2.8 s on
	# 7.3 at -smp 4, in 4 of 31 boots with no module at all, once in two
	# boots running), and 7.3 once hung silently in its boot. A boot that
	# has not reached the guest after $BOOT_DEADLINE seconds is stopped.
	# The logs of the failed boots are kept as LOG.boot1, LOG.boot2, ...
	rm -f "$logf".boot[0-9]*
	for ((attempt = 1; ; attempt++)); do
		start=$(date +%s)
		rm -f "$logf.rc" "$logf.pid"
		# The serial console writes CRLF and the firmware terminal
		# escapes: strip both so the log reads and greps cleanly.
		# The group runs under set -e: a failed wait (timeout's 124)
		# must not end it before it writes the status.
		{
			timeout -k 10 "$tmo" "${qemu[@]}" </dev/null 2>&1 &
			echo $! >"$logf.pid"
			rc=0
			wait $! || rc=$?
			echo "$rc" >"$logf.rc"
		} | clean_console | if [ "$verbose" = 1 ]; then tee "$logf"; else cat >"$logf"; fi &
		waited=0 stopped=0
		# Also stop waiting if the pipeline is gone without a status.
		while [ ! -f "$logf.rc" ] && kill -0 $! 2>/dev/null; do
			if [ "$waited" -ge "$BOOT_DEADLINE" ] &&
				! grep -q '^KNHK-GUEST-START$' "$logf"; then
				kill "$(cat "$logf.pid")" 2>/dev/null || true
				stopped=1
				break
			fi
			sleep 1
			waited=$((waited + 1))
		done
		wait || true
		rc=$(cat "$logf.rc" 2>/dev/null || echo 124)
		# Stopped at the boot deadline: a timeout like any other.
		[ "$stopped" = 0 ] || rc=124
		rm -f "$logf.rc" "$logf.pid"
		secs=$(($(date +%s) - start))
		if [ "$attempt" -ge "$BOOTS" ] ||
			! kernel_failed_alone "$logf" "$rc" "$kcsan_own"; then
			break
		fi
		mv "$logf" "$logf.boot$attempt"
		echo "knhk: $name: the kernel failed or hung on its own, before any" \
			"module was loaded (log: $logf.boot$attempt); booting it again" >&2
	done

	local why='' bad status=1
	bad=$(judged_bad "$logf" "$kcsan_own")
	if [ "$stopped" = 1 ]; then
		why="no guest after ${BOOT_DEADLINE}s of boot, in $attempt boots"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="timed out after ${tmo}s"
	elif [ -n "$bad" ]; then
		why="kernel reported errors"
	elif ! grep -q 'KNHK-GUEST-DONE rc=' "$logf"; then
		why="no 'KNHK-GUEST-DONE' line: the guest did not finish"
	elif ! grep -qF "$MARKER_OK" "$logf"; then
		why="guest script failed ($(grep -o 'KNHK-GUEST-DONE rc=[0-9]*' "$logf" | tail -1))"
		status=3
	elif [ "$rc" != 0 ]; then
		why="qemu exited with $rc"
	fi
	if [ -z "$why" ]; then
		echo "knhk: PASS $name (${secs}s, -smp $smp), log: $logf"
		return 0
	fi
	{
		echo "knhk: FAIL $name: $why (${secs}s, -smp $smp)"
		if [ -n "$bad" ]; then
			echo "$bad" | head -n 10
			# The first report whole, call trace included: a CI log
			# may be all a reader of the failure ever gets.
			echo "--- the first report:"
			sed -n "${bad%%:*},+45p" "$logf"
		elif [ "$status" = 3 ] && grep -qE "$GUEST_FAIL_RE" "$logf"; then
			echo "--- the guest's failures:"
			guest_failures "$logf" | head -n 60
		else
			echo "--- last lines of the console:"
			tail -n 40 "$logf"
		fi
		echo "knhk: full console log: $logf"
	} >&2
	return "$status"
}

# Sourced (scripts/qemu-run-test.sh), it only defines the functions.
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
