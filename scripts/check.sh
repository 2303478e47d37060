#!/usr/bin/env bash
# Everything `make check` runs, stage by stage:
#   a deps and kernels (scripts/kernels.sh: 6.1, 6.12, newest trixie-backports)
#   b the module built for each kernel (W=1 C=1)   c checkpatch
#   d debug kernel + build   e selftests, tools, qemu-run.sh's judgement
#   f KUnit (debug kernel)
#   g selftests under QEMU (every kernel, debug kernel + kmemleak)
#   h DKMS on every kernel: install, load, remove, the kernel's postinst hook
#   i the digests of the determinism selftests equal at -smp 1, 2 and 4
#   j a replay log dumped at -smp 2, replayed and compared at -smp 4
#   r replicas fed by etcd: one digest, a restart, divergence exposed
#   k the determinism matrix: one digest over VM sizes, kernels, timing
#     perturbation, CPU hotplug storms and lane stealing
#   p make bench, a smoke run: every figure comes out
#   s KUnit and selftests on a KCSAN kernel (data races)
#
# Usage: scripts/check.sh [LETTERS]   e.g. `scripts/check.sh bcg`; default all.
#   A stage whose inputs come from a stage not selected uses what an earlier
#   run left in out/check/.
#
# Every stage runs even when an earlier one failed; a stage that cannot run
# because what it needs failed counts as one failed case. Each stage prints
# its wall time; details go to log files under out/. The last line is
# `N passed, N failed` (`, N skipped` added when tests skipped) over every
# test case of every suite, after a table of the kernels (scripts/
# check-kernels.sh); the exit status is non-zero on any failure.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/guest-lib.sh
. "$(dirname "$0")/guest-lib.sh"
# shellcheck source=scripts/check-kernels.sh
. "$(dirname "$0")/check-kernels.sh"
# shellcheck source=scripts/check-replicas.sh
. "$(dirname "$0")/check-replicas.sh"

CHECK=$KNHK_OUT/check
LOGS=$KNHK_OUT/logs
SCRIPTS=$KNHK_TOP/scripts
EXCEPTIONS=$SCRIPTS/checkpatch.exceptions
# Guest time limits. Measured (2 host cores, TCG): the stock kernel reaches
# userspace in ~2 s (a whole empty run: 5 s), the debug kernel in ~9 s (13 s);
# the rest is the tests.
STOCK_TIMEOUT=480
DEBUG_TIMEOUT=900
# Per selftest binary inside the guest (the kselftest harness has its own
# per-test limit; this catches a binary that hangs outside it).
SELFTEST_TIMEOUT=300
SMP=4

PASSED=0 FAILED=0 SKIPPED=0
STAGE_FAILED=0
# Replay logs whose happens-before was checked, and their events.
HB_LOGS=0 HB_EVENTS=0
FAILURES=()

# Results of stages that later stages need.
STOCK_KVER=
DEBUG_TREE=

# --- bookkeeping --------------------------------------------------------

case_ok() { PASSED=$((PASSED + 1)); }
case_skip() { SKIPPED=$((SKIPPED + 1)); }
case_fail() {
	FAILED=$((FAILED + 1))
	STAGE_FAILED=$((STAGE_FAILED + 1))
	FAILURES+=("$1")
	echo "   FAIL: $1"
}

# Run one stage function, print its wall time and its counts. A stage
# function checks each step itself (set -e does not apply inside a function
# called from a condition), and returns non-zero only when it broke without
# counting why.
run_stage() {
	local letter=$1 title=$2 fn=$3 start p0=$PASSED f0=$FAILED s0=$SKIPPED
	case "$SELECTED" in *"$letter"*) ;; *) return 0 ;; esac
	echo "== [$letter] $title"
	STAGE_FAILED=0
	start=$(date +%s)
	if ! "$fn" && [ "$STAGE_FAILED" = 0 ]; then
		case_fail "$title: stage aborted"
	fi
	local msg="$((PASSED - p0)) passed, $((FAILED - f0)) failed"
	[ "$SKIPPED" = "$s0" ] || msg+=", $((SKIPPED - s0)) skipped"
	echo "   [$letter] $msg in $(($(date +%s) - start))s"
}

# Every replay log a guest verifies prints `happens-before: ok, N events
# checked` (knhkctl replay verify and replay run, the selftests that merge
# logs); a violation fails its test. Count them: $1 label, $2... guest logs.
hb_count() {
	local label=$1 n m
	shift
	read -r n m < <(cat "$@" 2>/dev/null |
		grep -a -o 'happens-before: ok, [0-9]* events checked' |
		awk '{n++; m += $3} END {print n + 0, m + 0}')
	HB_LOGS=$((HB_LOGS + n)) HB_EVENTS=$((HB_EVENTS + m))
	echo "   happens-before: $n logs, $m events checked ($label)"
}

# --- a. dependencies ----------------------------------------------------

stage_deps() {
	local start
	start=$(date +%s)
	if "$SCRIPTS/deps.sh"; then case_ok; else case_fail "deps.sh"; fi
	echo "   packages ready in $(($(date +%s) - start))s"
	prebuild_start
	stage_kernels
}

# --- the debug kernels, built in the background -------------------------

# The two debug kernels (stages d and s) are a cold run's longest work and
# need only linux-source-6.1. As soon as the packages are in, the missing
# ones are built one after the other in the background, niced, while stage
# a fetches the other kernels and builds the trixie chroot (network and
# disk bound) and the stages before s run; stages d and s wait for theirs.
# A cached kernel starts nothing. The build's exit status and time land
# in $CHECK/prebuild-<script>.done; its log in $LOGS.
PREBUILD_PID=
prebuild_start() {
	local todo=() s
	rm -f "$CHECK"/prebuild-*.done
	case "$SELECTED" in *d*)
		[ -f "$(debug_kernel_dir)/.knhk-done" ] || todo+=(debug-kernel) ;;
	esac
	case "$SELECTED" in *s*)
		[ -f "$(kcsan_kernel_dir)/.knhk-done" ] || todo+=(debug-kernel-kcsan) ;;
	esac
	[ "${#todo[@]}" -gt 0 ] || return 0
	echo "   building in the background: ${todo[*]} (logs: $LOGS/prebuild-*.log)"
	(
		for s in "${todo[@]}"; do
			t=$(date +%s) rc=0
			nice -n 10 "$SCRIPTS/$s.sh" >/dev/null 2>"$LOGS/prebuild-$s.log" || rc=$?
			echo "$rc $(($(date +%s) - t))" >"$CHECK/prebuild-$s.done"
		done
	) &
	PREBUILD_PID=$!
}

# Wait for the background build of scripts/$1.sh, if one was started, and
# say how it went; the stage then calls the script, which finds the kernel
# cached (or, if the background build failed, builds it again and logs why).
prebuild_wait() {
	local f=$CHECK/prebuild-$1.done start rc secs
	[ -n "$PREBUILD_PID" ] || return 0
	start=$(date +%s)
	while [ ! -f "$f" ] && kill -0 "$PREBUILD_PID" 2>/dev/null; do
		sleep 2
	done
	[ -f "$f" ] || return 0
	read -r rc secs <"$f"
	echo "   $1: built in the background in ${secs}s (exit $rc), waited $(($(date +%s) - start))s"
}

# --- c. checkpatch ------------------------------------------------------

# checkpatch.pl and the two data files it reads, extracted once from the
# linux-source-6.1 tarball into the cache. Prints the script's path.
checkpatch_path() {
	local ver dir tmp sub=linux-source-6.1/scripts
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed"
	dir=$KNHK_CACHE/checkpatch-$ver
	if [ ! -x "$dir/checkpatch.pl" ]; then
		mkdir -p "$KNHK_CACHE"
		tmp=$(mktemp -d "$KNHK_CACHE/.checkpatch-XXXXXX")
		tar -C "$tmp" -xJf /usr/src/linux-source-6.1.tar.xz "$sub/checkpatch.pl" \
			"$sub/spelling.txt" "$sub/const_structs.checkpatch" || {
			rm -rf "$tmp"
			die "cannot extract checkpatch.pl from linux-source-6.1"
		}
		# Rename into place: a concurrent run sees all of it or none.
		mv -T "$tmp/$sub" "$dir" 2>/dev/null || [ -x "$dir/checkpatch.pl" ] ||
			die "cannot install $dir"
		rm -rf "$tmp"
	fi
	echo "$dir/checkpatch.pl"
}

# The checkpatch types excepted for one file, comma-separated, from lines
# `path:TYPE  # reason` of scripts/checkpatch.exceptions. The path may be a
# shell pattern (selftests/*).
excepted_types() {
	local file=$1 line pat type types=''
	[ -f "$EXCEPTIONS" ] || return 0
	while IFS= read -r line; do
		line=${line%%#*}
		line=${line//[[:space:]]/}
		[ -n "$line" ] || continue
		pat=${line%:*} type=${line##*:}
		# shellcheck disable=SC2053 # $pat is a pattern on purpose
		[[ $file == $pat ]] && types+=${types:+,}$type
	done <"$EXCEPTIONS"
	echo "$types"
}

stage_checkpatch() {
	local cp f ignore log=$LOGS/checkpatch.log
	cp=$(checkpatch_path) || { case_fail "checkpatch.pl unavailable"; return 0; }
	mkdir -p "$LOGS"
	: >"$log"
	local -a files
	mapfile -t files < <(cd "$KNHK_TOP" && find module include kunit selftests tools bench \
		-type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | LC_ALL=C sort)
	[ "${#files[@]}" -gt 0 ] || { case_fail "no C files to check"; return 0; }
	for f in "${files[@]}"; do
		ignore=$(excepted_types "$f")
		local -a args=(--strict --no-tree --file --show-types --terse --no-summary --color=never)
		[ -z "$ignore" ] || args+=(--ignore "$ignore")
		if (cd "$KNHK_TOP" && "$cp" "${args[@]}" "$f") >>"$log" 2>&1; then
			case_ok
		else
			case_fail "checkpatch $f"
			grep -F "$f:" "$log" | sed 's/^/      /' | tail -n 20
		fi
	done
	echo "   ${#files[@]} files checked, findings in $log"
}

# --- d. debug kernel ----------------------------------------------------

stage_debug() {
	local dir log=$LOGS/debug-kernel.log
	mkdir -p "$LOGS"
	dir=$(debug_kernel_dir) || { case_fail "debug kernel: linux-source-6.1 missing"; return 0; }
	prebuild_wait debug-kernel
	if [ -f "$dir/.knhk-done" ]; then
		echo "   debug kernel: cache hit ($dir)"
	else
		echo "   debug kernel: cache miss, building (about 15 minutes, log: $log)"
	fi
	if DEBUG_TREE=$("$SCRIPTS/debug-kernel.sh" 2>"$log"); then
		case_ok
	else
		DEBUG_TREE=
		tail -n 30 "$log" | sed 's/^/      /'
		case_fail "debug kernel build (log: $log)"
		return 0
	fi
	if ! SPARSE=1 "$SCRIPTS/build-module.sh" "$DEBUG_TREE" "$CHECK/debug" | sed 's/^/   /'; then
		case_fail "build for the debug kernel (W=1 C=1)"
	elif compgen -G "$KNHK_TOP/kunit/*.c" >/dev/null &&
		[ ! -f "$CHECK/debug/knhk_sched_kunit.ko" ]; then
		case_fail "knhk_sched_kunit.ko not built for the debug kernel (CONFIG_KUNIT?)"
	else
		case_ok
	fi
}

# --- e. selftests and tools ---------------------------------------------

# Every test binary has to be static: the guests have no libc.
check_static() {
	local f bad=0
	for f in "$1"/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		if LC_ALL=C readelf -l "$f" 2>/dev/null | grep -q 'program interpreter'; then
			echo "      $f is dynamically linked"
			bad=1
		fi
	done
	return "$bad"
}

# Build one userspace directory (selftests or tools) into out/check/NAME.
build_userspace() {
	local name=$1 out=$CHECK/$1 log=$LOGS/$1-build.log
	if [ ! -f "$KNHK_TOP/$name/Makefile" ]; then
		case_fail "$name/Makefile missing: nothing built"
		return 0
	fi
	# A fresh directory: a failed build must not leave old binaries behind.
	rm -rf "$out"
	mkdir -p "$out" "$LOGS"
	if ! make -C "$KNHK_TOP/$name" OUT="$out" >"$log" 2>&1; then
		tail -n 30 "$log" | sed 's/^/      /'
		rm -rf "$out"
		case_fail "make -C $name (log: $log)"
	elif ! check_static "$out"; then
		case_fail "$name: binaries not static"
	else
		case_ok
		echo "   $name: $(find "$out" -maxdepth 1 -type f -perm -u+x | wc -l) binaries in $out"
	fi
}

# Host-side tests of the tools: the log library's unit tests (TAP) and a
# bounded libFuzzer run of the log parser.
tools_host_tests() {
	local log=$LOGS/tools-test.log r=0 secs
	{
		echo "KNHK-HOST-BEGIN tools-test"
		make -s -C "$KNHK_TOP/tools" OUT="$CHECK/tools" test 2>&1 || r=$?
		echo "KNHK-HOST-END tools-test rc=$r"
	} >"$log"
	add_counts "tools/test_log" < <(tap_block "tools/test_log" "$log" \
		"KNHK-HOST-BEGIN tools-test" "KNHK-HOST-END tools-test " '' 0)
	log=$LOGS/tools-fuzz.log
	secs=$(date +%s)
	if make -s -C "$KNHK_TOP/tools" OUT="$CHECK/tools" fuzz-short >"$log" 2>&1; then
		case_ok
		echo "   tools/fuzz_log: $(grep -ao 'Done [0-9]* runs in [0-9]* second(s)' "$log" |
			tail -1), no crash ($(($(date +%s) - secs))s)"
	else
		tail -n 20 "$log" | sed 's/^/      /'
		case_fail "tools/fuzz_log: crash or sanitizer report (log: $log)"
	fi
}

# qemu-run.sh's judgement of which failed boots to boot again.
qemu_run_host_test() {
	local log=$LOGS/qemu-run-test.log r=0
	{
		echo "KNHK-HOST-BEGIN qemu-run-test"
		"$SCRIPTS/qemu-run-test.sh" "$CHECK/qemu-run-test" 2>&1 || r=$?
		echo "KNHK-HOST-END qemu-run-test rc=$r"
	} >"$log"
	add_counts "scripts/qemu-run-test" < <(tap_block "scripts/qemu-run-test" "$log" \
		"KNHK-HOST-BEGIN qemu-run-test" "KNHK-HOST-END qemu-run-test " '' 0)
}

stage_userspace() {
	build_userspace selftests
	build_userspace tools
	tools_host_tests
	qemu_run_host_test
}

# --- guests -------------------------------------------------------------

# Set DEBUG_TREE: from stage d, or the cache when d was not selected.
have_debug_tree() {
	local dir
	if [ -z "$DEBUG_TREE" ]; then
		dir=$(debug_kernel_dir 2>/dev/null) || return 1
		[ -f "$dir/.knhk-done" ] && DEBUG_TREE=$dir/linux-source-6.1
	fi
	[ -n "$DEBUG_TREE" ]
}

write_kunit_guest() {
	guest_prelude
	cat <<'EOF'
insmod /knhk/knhk_sched.ko
report $? "insmod knhk_sched.ko"
ls /sys/kernel/debug/kunit >/tmp/suites.before 2>/dev/null
# KUnit runs a module's suites while insmod loads it.
insmod /knhk/knhk_sched_kunit.ko
report $? "insmod knhk_sched_kunit.ko"
for d in /sys/kernel/debug/kunit/*; do
	[ -d "$d" ] || continue
	s=${d##*/}
	grep -qx "$s" /tmp/suites.before && continue
	echo "KNHK-KUNIT-BEGIN $s"
	cat "$d/results"
	echo "KNHK-KUNIT-END $s"
done
rmmod knhk_sched_kunit
report $? "rmmod knhk_sched_kunit"
rmmod knhk_sched
report $? "rmmod knhk_sched"
exit $rc
EOF
}

# $1: 1 to check kmemleak after unloading the module.
write_selftest_guest() {
	guest_prelude
	echo "KMEMLEAK=$1 SELFTEST_TIMEOUT=$SELFTEST_TIMEOUT"
	cat <<'EOF'
KML=/sys/kernel/debug/kmemleak
if [ "$KMEMLEAK" = 1 ]; then
	# Forget what the kernel itself leaked while booting: not ours.
	echo scan >$KML && echo clear >$KML
	report $? "kmemleak available"
fi
insmod /knhk/knhk_sched.ko
report $? "insmod knhk_sched.ko"
for t in /knhk/selftests/*; do
	[ -f "$t" ] || continue
	n=${t##*/}
	echo "KNHK-SELFTEST-BEGIN $n"
	t0=$(date +%s)
	timeout "$SELFTEST_TIMEOUT" "$t"
	r=$?
	echo "KNHK-SELFTEST-END $n rc=$r secs=$(($(date +%s) - t0))"
	[ "$r" -eq 0 ] || rc=1
done
rmmod knhk_sched
report $? "rmmod knhk_sched"
if [ "$KMEMLEAK" = 1 ]; then
	# kmemleak reports only objects older than 5 s, and only after two
	# scans agree.
	sleep 5
	echo scan >$KML
	sleep 1
	echo scan >$KML
	cat $KML >/tmp/leaks
	if [ -s /tmp/leaks ]; then
		echo "KNHK-KMEMLEAK-BEGIN"
		cat /tmp/leaks
		echo "KNHK-KMEMLEAK-END"
		report 1 "kmemleak: no leak"
	else
		report 0 "kmemleak: no leak"
	fi
fi
exit $rc
EOF
}

# Boot a guest. $1 name, $2 kernel image, $3 timeout, $4 guest dir.
# Counts one case, "the kernel stayed clean and the guest finished";
# the guest's own failures are counted from its output.
boot_guest() {
	local name=$1 image=$2 tmo=$3 dir=$4 rc=0
	"$SCRIPTS/initramfs.sh" "$CHECK/$name.cpio" "$dir" || {
		case_fail "$name: initramfs"
		return 0
	}
	"$SCRIPTS/qemu-run.sh" -n "$name" -k "$image" -i "$CHECK/$name.cpio" \
		-s "$SMP" -t "$tmo" -l "$LOGS/$name.log" ${BOOT_EXTRA:+-a "$BOOT_EXTRA"} \
		${BOOT_KCSAN:+-K} \
		2>&1 | sed 's/^/   /' || rc=$?
	if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
		case_ok
	else
		case_fail "$name: kernel error, timeout or unfinished guest (log: $LOGS/$name.log)"
	fi
	count_guest_cases "$name" "$LOGS/$name.log"
	return 0
}

# KNHK-CASE lines printed by the guest's report().
count_guest_cases() {
	local name=$1 line
	while IFS= read -r line; do
		case "$line" in
		"KNHK-CASE ok "*) case_ok ;;
		"KNHK-CASE not ok "*) case_fail "$name: ${line#KNHK-CASE not ok }" ;;
		esac
	done < <(grep -a '^KNHK-CASE ' "$2" || true)
}

# Count one block of TAP between a BEGIN and an END marker line.
#   $1 label  $2 log  $3 begin marker line  $4 end marker prefix
#   $5 indent of the case lines (KUnit: the subtests, 4 spaces; kselftest: none)
#   $6 1 if an unindented suite result line is expected (KUnit)
# Prints "passed failed skipped" and, on stderr, the failing lines. A plan
# `1..N` with fewer results counts the missing ones as failed; a block with
# no case line, or without its suite result, fails once.
tap_block() {
	awk -v label="$1" -v begin="$3" -v endp="$4" -v ind="$5" -v wantsuite="$6" '
	function bad(msg) { print "      " label ": " msg > "/dev/stderr"; extra++ }
	$0 == begin { inb = 1; next }
	inb && index($0, endp) == 1 { ended = 1; endline = $0; inb = 0; exit }
	!inb { next }
	$0 ~ ("^" ind "(not )?ok [0-9]+( |$)") {
		n++
		if ($0 ~ /# SKIP/) s++
		else if ($0 ~ /^ *not ok /) { f++; print "      " label ": " $0 > "/dev/stderr" }
		else p++
		next
	}
	plan == "" && $0 ~ ("^" ind "1\\.\\.[0-9]+$") { plan = $0; sub(/^ *1\.\./, "", plan) }
	wantsuite && $0 ~ /^(not )?ok [0-9]+( |$)/ { suite = $0 }
	END {
		if (!ended) bad("output ended before its end marker")
		if (n == 0) bad("printed no test result")
		else if (plan != "" && n < plan + 0) {
			bad((plan - n) " of " plan " planned results missing")
			extra += plan - n - 1
		}
		if (wantsuite && suite == "") bad("no suite result line")
		if (suite ~ /^not ok/ && f + extra == 0) bad(suite)
		if (endline ~ / rc=[1-9]/ && f + extra == 0)
			bad("exited with" substr(endline, index(endline, " rc=")))
		secs = "-"
		if (match(endline, / secs=[0-9]+/)) secs = substr(endline, RSTART + 6, RLENGTH - 6)
		print p + 0, f + extra, s + 0, secs
	}' "$2"
}

# Add "passed failed skipped" from tap_block to the totals.
add_counts() {
	local label=$1 p f s secs i
	read -r p f s secs
	for ((i = 0; i < p; i++)); do case_ok; done
	for ((i = 0; i < s; i++)); do case_skip; done
	for ((i = 0; i < f; i++)); do
		FAILED=$((FAILED + 1))
		STAGE_FAILED=$((STAGE_FAILED + 1))
	done
	[ "$f" = 0 ] || FAILURES+=("$label: $f failed")
	[ "$f" = 0 ] || echo "   FAIL: $label: $f failed"
	local took=''
	[ "$secs" = - ] || took=" in ${secs}s"
	echo "   $label: $p passed, $f failed, $s skipped$took"
}

# --- f. KUnit -----------------------------------------------------------

stage_kunit() {
	local dir=$CHECK/guest-kunit log=$LOGS/kunit-debug.log s
	if ! have_debug_tree || [ ! -f "$CHECK/debug/knhk_sched_kunit.ko" ]; then
		case_fail "KUnit: no debug kernel or no knhk_sched_kunit.ko (stage d failed)"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$CHECK/debug/knhk_sched.ko" "$CHECK/debug/knhk_sched_kunit.ko" "$dir/"
	write_kunit_guest >"$dir/guest.sh"
	boot_guest kunit-debug "$DEBUG_TREE/arch/x86/boot/bzImage" "$DEBUG_TIMEOUT" "$dir"

	local -a suites
	mapfile -t suites < <(sed -n 's/^KNHK-KUNIT-BEGIN //p' "$log")
	if [ "${#suites[@]}" = 0 ]; then
		case_fail "KUnit: no suite printed results"
		return 0
	fi
	for s in "${suites[@]}"; do
		add_counts "kunit/$s" < <(tap_block "kunit/$s" "$log" \
			"KNHK-KUNIT-BEGIN $s" "KNHK-KUNIT-END $s" '    ' 1)
	done
}

# --- g. selftests under QEMU --------------------------------------------

# $1 lane (stock|debug), $2 kernel image, $3 module dir, $4 timeout, $5 kmemleak
# [$6 guest name, $7 selftest binaries to run (a glob), default all]
selftest_lane() {
	local lane=$1 image=$2 mods=$3 tmo=$4 kml=$5 t n
	local name=${6:-selftests-$lane} only=${7:-*}
	local dir=$CHECK/guest-$name
	if [ ! -f "$mods/knhk_sched.ko" ]; then
		case_fail "$name: no knhk_sched.ko for this kernel (build failed)"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir/selftests"
	cp "$mods/knhk_sched.ko" "$dir/"
	if [ -d "$CHECK/selftests" ]; then
		# shellcheck disable=SC2086 # $only is a glob
		cp "$CHECK/selftests/"$only "$dir/selftests/" 2>/dev/null || true
	fi
	[ -d "$CHECK/tools" ] && cp "$CHECK/tools/"* "$dir/" 2>/dev/null
	write_selftest_guest "$kml" >"$dir/guest.sh"
	boot_guest "$name" "$image" "$tmo" "$dir"

	for t in "$dir/selftests/"*; do
		[ -f "$t" ] || continue
		n=${t##*/}
		add_counts "${6:-$lane}/$n" < <(tap_block "${6:-$lane}/$n" "$LOGS/$name.log" \
			"KNHK-SELFTEST-BEGIN $n" "KNHK-SELFTEST-END $n " '' 0)
	done
	# The reliability suites' own numbers, for the record.
	grep -a -E '^# .*(failure points in all|fuzz: [0-9]+ calls|load/unload cycles:|stall isolation:|idle lanes:|x 256 lanes)' \
		"$LOGS/$name.log" | sed "s/^# /   $lane: /" || true
	hb_count "$name" "$LOGS/$name.log"
}

stage_selftests() {
	if [ ! -d "$CHECK/selftests" ]; then
		echo "   no selftest binaries (stage e failed): load/unload only"
	fi
	local f0=$FAILED p0=$PASSED
	if [ -n "$STOCK_KVER" ] || STOCK_KVER=$(stock_kver); then
		selftest_lane stock "/boot/vmlinuz-$STOCK_KVER" "$CHECK/stock" "$STOCK_TIMEOUT" 0
	else
		case_fail "selftests-stock: no stock kernel"
	fi
	if [ "$FAILED" = "$f0" ] && [ "$PASSED" -gt "$p0" ]; then
		kt_set 6.1 selftests ok
	else
		kt_set 6.1 selftests FAIL
	fi
	kernel_selftests
	if have_debug_tree; then
		selftest_lane debug "$DEBUG_TREE/arch/x86/boot/bzImage" "$CHECK/debug" \
			"$DEBUG_TIMEOUT" 1
	else
		case_fail "selftests-debug: no debug kernel (stage d failed)"
	fi
}

# --- i. the same digests at every VM size ---------------------------------

# Selftests print "# KNHK-DIGEST <label> <digest> events=<n>" for workloads
# whose digest must not depend on the machine. Run the determinism suite
# again at -smp 1 and 2 on the stock kernel, then require one value per
# label across those and stage g's -smp 4 runs on both kernels.
stage_vm_sizes() {
	local smp log label logs=() values v
	if [ -z "$STOCK_KVER" ] && ! STOCK_KVER=$(stock_kver); then
		case_fail "vm sizes: no stock kernel"
		return 0
	fi
	for smp in 1 2; do
		SMP=$smp selftest_lane stock "/boot/vmlinuz-$STOCK_KVER" "$CHECK/stock" \
			"$STOCK_TIMEOUT" 0 "determinism-smp$smp" 'knhk_determinism'
		logs+=("$LOGS/determinism-smp$smp.log")
	done
	logs+=("$LOGS/selftests-stock.log" "$LOGS/selftests-debug.log")
	local line
	load_kernels || true
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		[ "$K_LABEL" = 6.1 ] || logs+=("$LOGS/selftests-$K_LABEL.log")
	done
	local labels
	# The matrix digest (stage g runs knhk_matrix too) is stage k's.
	labels=$(grep -ah '^# KNHK-DIGEST ' "${logs[@]}" 2>/dev/null | awk '$3 != "matrix" {print $3}' | sort -u)
	if [ -z "$labels" ]; then
		case_fail "vm sizes: no KNHK-DIGEST line in any run"
		return 0
	fi
	for label in $labels; do
		values=""
		for log in "${logs[@]}"; do
			v=$(grep -a "^# KNHK-DIGEST $label " "$log" 2>/dev/null | awk '{print $4, $5}' | head -1)
			printf '   %-10s %-28s %s\n' "$label" "${log##*/}" "${v:-missing}"
			values+="${v:-missing}"$'\n'
		done
		if [ "$(printf '%s' "$values" | sort -u | wc -l)" = 1 ] &&
			! grep -q missing <<<"$values"; then
			case_ok
		else
			case_fail "vm sizes: digest '$label' differs between VM sizes or kernels"
		fi
	done
}

# --- j. a log carried from one VM to another ----------------------------

# Guest 1 (-smp 2) dumps scripts/xvm.knhk's replay log and prints it in
# base64 between markers; the host decodes it into the initramfs of guest 2
# (-smp 4), which must replay it to EXACT_MATCH, see MINOR_DIFFERENCE with
# another lane count and DIVERGED, naming task 602, with one payload
# altered.
write_xvm_dump_guest() {
	guest_prelude
	cat <<'EOF'
insmod /knhk/knhk_sched.ko
report $? "insmod knhk_sched.ko"
/knhk/knhkctl replay dump /tmp/a.log /knhk/xvm.knhk
report $? "xvm: replay dump at -smp 2"
/knhk/knhkctl replay verify /tmp/a.log
report $? "xvm: replay verify"
emit_file a.log /tmp/a.log
rmmod knhk_sched
report $? "rmmod knhk_sched"
exit $rc
EOF
}

write_xvm_replay_guest() {
	guest_prelude
	cat <<'EOF'
K=/knhk/knhkctl
expect() { # $1 wanted exit status, $2 got, $3 case name
	[ "$2" = "$1" ]
	report $? "$3 (exit $2, want $1)"
}
insmod /knhk/knhk_sched.ko
report $? "insmod knhk_sched.ko"
$K replay run /knhk/a.log
expect 0 $? "xvm: replay run of the -smp 2 log at -smp 4: EXACT_MATCH"
$K replay dump --lanes 8 /tmp/b.log /knhk/xvm.knhk
$K replay verify /tmp/b.log
expect 0 $? "xvm: replay verify of the 8-lane log"
$K replay diff /knhk/a.log /tmp/b.log
expect 10 $? "xvm: 8 lanes instead of 4: MINOR_DIFFERENCE"
sed 's/^pure 602 1 guards=3$/pure 602 2 guards=3/' /knhk/xvm.knhk >/tmp/alt.knhk
$K replay dump /tmp/c.log /tmp/alt.knhk
$K replay verify /tmp/c.log
expect 0 $? "xvm: replay verify of the altered log"
$K replay diff /knhk/a.log /tmp/c.log >/tmp/diff.out
expect 11 $? "xvm: task 602 altered: DIVERGED"
cat /tmp/diff.out
grep -qw 602 /tmp/diff.out
report $? "xvm: the divergence names task 602"
rmmod knhk_sched
report $? "rmmod knhk_sched"
exit $rc
EOF
}

stage_xvm() {
	local dir=$CHECK/guest-xvm image log=$LOGS/xvm-dump.log
	if [ -z "$STOCK_KVER" ] && ! STOCK_KVER=$(stock_kver); then
		case_fail "xvm: no stock kernel"
		return 0
	fi
	if [ ! -f "$CHECK/stock/knhk_sched.ko" ] || [ ! -x "$CHECK/tools/knhkctl" ]; then
		case_fail "xvm: no module or knhkctl (stages b, e)"
		return 0
	fi
	image=/boot/vmlinuz-$STOCK_KVER
	rm -rf "$dir"
	mkdir -p "$dir/dump" "$dir/replay"
	cp "$CHECK/stock/knhk_sched.ko" "$CHECK/tools/knhkctl" \
		"$SCRIPTS/xvm.knhk" "$dir/dump/"
	cp "$dir/dump/"* "$dir/replay/"
	write_xvm_dump_guest >"$dir/dump/guest.sh"
	write_xvm_replay_guest >"$dir/replay/guest.sh"

	SMP=2 boot_guest xvm-dump "$image" "$STOCK_TIMEOUT" "$dir/dump"
	if ! guest_file "$log" a.log "$dir/replay/a.log"; then
		case_fail "xvm: no log came out of the -smp 2 guest"
		return 0
	fi
	echo "   carried a.log out of the -smp 2 guest: $(stat -c %s "$dir/replay/a.log") bytes"
	SMP=4 boot_guest xvm-replay "$image" "$STOCK_TIMEOUT" "$dir/replay"
	grep -a -A6 'DIVERGED' "$LOGS/xvm-replay.log" | grep -av '^KNHK-CASE' |
		head -8 | sed 's/^/   | /'
	hb_count xvm "$log" "$LOGS/xvm-replay.log"
}

# --- k. the determinism matrix ------------------------------------------

# selftests/knhk_matrix prints "# KNHK-DIGEST matrix <digest> events=<n>".
# Run it in VMs of 1, 2, 4 and 8 CPUs on the stock 6.1 kernel, at 2 and 4 on
# each other kernel of scripts/kernels.sh and at 4 on the debug kernel, with
# the module's perturb and steal parameters on and off and with a CPU
# hotplug storm; require one digest over all rows: the kernel column. A row
# is "smp kernel perturb hotplug steal", the kernel a label of
# scripts/kernels.sh or "debug"; each (kernel, smp) pair is one guest
# that runs its rows one after the other, setting the parameters through
# sysfs. Every run streams its replay log (KNHK_MATRIX_LOG), which must
# verify and equal the reference log, the first row's: that guest runs
# first and prints its log, which goes into every other guest. A run whose
# log differs prints `knhkctl replay diff`, and the stage shows it.
# Environment (scripts/stress.sh sets them): KNHK_MATRIX_TASKS (the
# workload's size, default 10000), KNHK_MATRIX_CYCLES (hotplug cycles per
# storm row, default 8), KNHK_MATRIX_FULL=1 (every combination, not a
# selection), KNHK_MATRIX_TIMEOUT (seconds per guest).
matrix_rows() {
	local smp p h s line
	if [ "${KNHK_MATRIX_FULL:-0}" = 1 ]; then
		for smp in 1 2 4 8 debug4; do
			for p in 0 1; do for h in 0 1; do for s in 0 1; do
				[ "$smp" = 1 ] && [ "$h" = 1 ] && continue
				if [ "$smp" = debug4 ]; then
					echo "4 debug $p $h $s"
				else
					echo "$smp 6.1 $p $h $s"
				fi
			done; done; done
		done
	else
		printf '%s\n' "1 6.1 0 0 0" "1 6.1 1 0 0" "1 6.1 0 0 1" \
			"2 6.1 0 0 0" "2 6.1 1 0 0" "2 6.1 0 1 0" "2 6.1 0 0 1" \
			"2 6.1 1 1 1" "4 6.1 0 0 0" "4 6.1 1 0 0" "4 6.1 0 1 0" \
			"4 6.1 0 0 1" "4 6.1 1 1 1" "8 6.1 0 0 0" "8 6.1 1 1 1" \
			"4 debug 0 0 0" "4 debug 1 1 1"
	fi
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		[ "$K_LABEL" = 6.1 ] || printf '%s\n' "4 $K_LABEL 0 0 0" "2 $K_LABEL 1 1 1"
	done
}

# A guest running rows "perturb hotplug steal" given on stdin. Each prints
#   KNHK-MATRIX <smp> <kernel> <perturb> <hotplug> <steal> <digest> <events>
#	<secs> <steals> <hotplug cycles> <runs> <exit status>
# A row with a hotplug storm runs the workload until the storm has taken
# CPUs away KNHK_MATRIX_CYCLES times (default 8).
write_matrix_guest() {
	guest_prelude
	echo "SMP=$1 KERNEL=$2 TASKS=${KNHK_MATRIX_TASKS:-10000} CYCLES=${KNHK_MATRIX_CYCLES:-8}"
	echo "REFROW='$3'"
	echo "ROWS='$(cat)'"
	cat <<'EOF2'
P=/sys/module/knhk_sched/parameters
CPUS=/sys/devices/system/cpu
# Take CPUs 1.. offline and back, round and round, until /tmp/storm goes.
storm() {
	n=0
	while [ -f /tmp/storm ]; do
		for c in $CPUS/cpu[1-9]*; do
			[ -f /tmp/storm ] || break
			echo 0 >$c/online 2>/dev/null || continue
			echo 1 >$c/online && n=$((n + 1))
			echo $n >/tmp/storm.count
		done
		[ -e $CPUS/cpu1 ] || sleep 1
	done
	echo $n >/tmp/storm.count
}
stormed() {
	k=$(cat /tmp/storm.count 2>/dev/null)
	[ "${k:-0}" -ge "$CYCLES" ]
}
# The run's replay log, /tmp/row.log: it must verify (its records give
# the kernel's digest) and hold the same records as the reference log,
# the host's reference row's (/knhk/ref.log), else this guest's first.
# On a difference, print `knhkctl replay diff` between markers, set r and
# return 1.
REF=/knhk/ref.log
[ -f $REF ] || REF=/tmp/ref.log
check_log() {
	[ -f /tmp/row.log ] || return 0
	[ -f $REF ] || cp /tmp/row.log $REF
	/knhk/knhkctl replay verify /tmp/row.log >/tmp/verify.out 2>&1 || {
		cat /tmp/verify.out
		[ "$r" = 0 ] && r=96
	}
	grep -a '^happens-before: ok' /tmp/verify.out
	/knhk/knhkctl replay diff $REF /tmp/row.log >/tmp/diff.out 2>&1 && return 0
	echo "KNHK-DIFF-BEGIN $SMP $KERNEL $p $h $s"
	head -n 40 /tmp/diff.out
	echo "KNHK-DIFF-END"
	[ "$r" = 0 ] && r=97
	return 1
}
insmod /knhk/knhk_sched.ko
report $? "matrix -smp $SMP $KERNEL: insmod knhk_sched.ko"
while read -r p h s; do
	[ -n "$p" ] || continue
	[ "$p" = 0 ] && seed=0 || seed=$((1000 + SMP))
	echo $seed >$P/perturb && echo $s >$P/steal
	s0=$(cat $P/steals)
	rm -f /tmp/storm.count
	if [ "$h" = 1 ]; then
		touch /tmp/storm
		storm &
		sp=$!
	fi
	# Under a storm, run the workload again until the storm has taken
	# CPUs away $CYCLES times; every run must give the same digest.
	t0=$(date +%s) runs=0 first=
	while :; do
		rm -f /tmp/row.log
		KNHK_MATRIX_LOG=/tmp/row.log KNHK_MATRIX_TASKS=$TASKS \
			timeout 600 /knhk/knhk_matrix >/tmp/out 2>&1
		r=$?
		runs=$((runs + 1))
		d=$(grep -a '^# KNHK-DIGEST matrix ' /tmp/out | head -1)
		[ "$runs" = 1 ] && first=$d
		[ "$r" = 0 ] && [ "$d" != "$first" ] && r=98
		check_log || break
		[ "$r" = 0 ] && [ "$h" = 1 ] && [ "$runs" -lt 100 ] && ! stormed ||
			break
	done
	secs=$(($(date +%s) - t0))
	cycles=-
	if [ "$h" = 1 ]; then
		rm -f /tmp/storm
		wait $sp
		cycles=$(cat /tmp/storm.count)
		for c in $CPUS/cpu[1-9]*; do echo 1 >$c/online 2>/dev/null; done
		# A storm that never took a CPU away tested nothing.
		[ "$r" = 0 ] && [ "$cycles" -eq 0 ] && r=99
	fi
	[ "$r" = 0 ] && grep -a ' calls, ' /tmp/out || cat /tmp/out
	# The reference row: its log is every other guest's reference.
	if [ "$REF" = /tmp/ref.log ] && [ "$REFROW" = "$SMP $KERNEL $p $h $s" ]; then
		[ -f $REF ] && emit_file ref.log $REF
	fi
	set -- $d
	e=${5#events=}
	echo "KNHK-MATRIX $SMP $KERNEL $p $h $s ${4:-none} ${e:--} $secs $(($(cat $P/steals) - s0)) $cycles $runs $r"
	[ "$r" = 0 ]
	report $? "matrix -smp $SMP $KERNEL perturb=$seed hotplug=$h steal=$s"
done <<ROWS_END
$ROWS
ROWS_END
echo 0 >$P/perturb && echo 0 >$P/steal
rmmod knhk_sched
report $? "matrix -smp $SMP $KERNEL: rmmod knhk_sched"
exit $rc
EOF2
}

stage_matrix() {
	local rows groups g smp kernel image mods tmo dir log line refrow ref
	local -a table=()
	load_kernels || true
	rows=$(matrix_rows)
	# The first row is the reference: its guest runs first, and the
	# replay log of its run is carried into the others to diff against.
	refrow=$(head -n 1 <<<"$rows")
	ref=$CHECK/matrix-ref.log
	rm -f "$ref"
	groups=$(awk '{print $2 "-" $1}' <<<"$rows" | sort -u |
		awk -v r="$(awk '{print $2 "-" $1}' <<<"$refrow")" '$0 == r {print; next}
			{rest = rest $0 "\n"} END {printf "%s", rest}')
	if [ ! -x "$CHECK/selftests/knhk_matrix" ] || [ ! -x "$CHECK/tools/knhkctl" ]; then
		case_fail "matrix: no knhk_matrix or knhkctl binary (stage e)"
		return 0
	fi
	for g in $groups; do
		kernel=${g%-*} smp=${g#*-}
		if ! image=$(kernel_image "$kernel"); then
			case_fail "matrix: no $kernel kernel (stages a, d)"
			continue
		fi
		if [ "$kernel" = debug ]; then
			mods=$CHECK/debug tmo=${KNHK_MATRIX_TIMEOUT:-$DEBUG_TIMEOUT}
		else
			mods=$(kernel_mods "$kernel") tmo=${KNHK_MATRIX_TIMEOUT:-$STOCK_TIMEOUT}
		fi
		if [ ! -f "$mods/knhk_sched.ko" ]; then
			case_fail "matrix: no knhk_sched.ko for the $kernel kernel"
			continue
		fi
		dir=$CHECK/guest-matrix-$g log=$LOGS/matrix-$g.log
		rm -rf "$dir"
		mkdir -p "$dir"
		cp "$mods/knhk_sched.ko" "$CHECK/selftests/knhk_matrix" "$CHECK/tools/knhkctl" \
			"$dir/"
		[ -s "$ref" ] && cp "$ref" "$dir/ref.log"
		awk -v k="$kernel" -v n="$smp" '$1 == n && $2 == k {print $3, $4, $5}' \
			<<<"$rows" | write_matrix_guest "$smp" "$kernel" "$refrow" >"$dir/guest.sh"
		SMP=$smp boot_guest "matrix-$g" "$image" "$tmo" "$dir"
		if [ "$g" = "$(awk '{print $2 "-" $1}' <<<"$refrow")" ] &&
			! guest_file "$log" ref.log "$ref"; then
			case_fail "matrix: no replay log of the reference row '$refrow'"
		fi
		mapfile -t -O "${#table[@]}" table < <(grep -a '^KNHK-MATRIX ' "$log" | cut -d' ' -f2-)
	done

	# The table, and one digest over all rows.
	local want n missing=0 agree
	printf '   %-4s %-6s %-7s %-7s %-5s  %-16s %-7s %5s %6s %6s %4s\n' smp kernel perturb \
		hotplug steal digest events secs steals cycles runs
	for line in "${table[@]}"; do
		# shellcheck disable=SC2086 # fields
		set -- $line
		printf '   %-4s %-6s %-7s %-7s %-5s  %-16s %-7s %5s %6s %6s %4s%s\n' "$1" "$2" "$3" \
			"$4" "$5" "${6:-?}" "${7:-?}" "${8:-?}" "${9:-?}" "${10:-?}" "${11:-?}" \
			"$([ "${12:-?}" = 0 ] || echo "  exit ${12:-?}")"
	done
	while read -r line; do
		[ -n "$line" ] || continue
		printf '%s\n' "${table[@]}" | grep -q "^$line " || {
			missing=$((missing + 1))
			case_fail "matrix: row '$line' did not run"
		}
	done <<<"$rows"
	# The digest most rows agree on; a row without one agrees with nothing.
	want=$(printf '%s\n' "${table[@]}" | awk '$6 != "none" {print $6, $7}' | sort |
		uniq -c | sort -rn | awk 'NR == 1 {print $2, $3}')
	agree=$(printf '%s\n' "${table[@]}" | awk -v w="$want" '$6 " " $7 == w' | wc -l)
	n=$(wc -l <<<"$rows")
	if [ "$missing" = 0 ] && [ "$agree" = "$n" ] && [ -n "$want" ]; then
		case_ok
		echo "   all $n rows: digest ${want% *}, ${want#* } events"
	else
		case_fail "matrix: $agree of $n rows have the digest ${want:-(none)}"
		echo "   rows that differ:"
		printf '%s\n' "${table[@]}" | awk -v w="$want" '$6 " " $7 != w {print "   | " $0}'
	fi
	# The kernel column: each kernel's digest, for the kernel table.
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		want=$(printf '%s\n' "${table[@]}" | awk -v k="$K_LABEL" '$2 == k {print $6}' | sort -u)
		case "$want" in
		"") kt_set "$K_LABEL" digest none ;;
		*$'\n'*) kt_set "$K_LABEL" digest differs ;;
		*) kt_set "$K_LABEL" digest "$want" ;;
		esac
	done
	local -a mlogs=()
	for g in $groups; do mlogs+=("$LOGS/matrix-$g.log"); done
	hb_count matrix "${mlogs[@]}"
	# Every run whose replay log is not the reference's: knhkctl's diff.
	for g in $groups; do
		sed -n '/^KNHK-DIFF-BEGIN /,/^KNHK-DIFF-END$/p' "$LOGS/matrix-$g.log" 2>/dev/null |
			sed -e 's/^KNHK-DIFF-BEGIN \(.*\)/   knhkctl replay diff, reference row against row "\1":/' \
				-e '/^KNHK-DIFF-END$/d' -e 's/^/   | /' -e 's/^   |    knhkctl/   knhkctl/'
	done
}

# --- p. make bench, a smoke run -----------------------------------------

# Every benchmark of make bench, tiny: each figure must come out (numbers
# are make bench's business, not a pass/fail). Its last line says how many.
stage_bench_smoke() {
	local log=$LOGS/bench-smoke.log
	mkdir -p "$LOGS"
	if "$SCRIPTS/bench.sh" --smoke >"$log" 2>&1; then
		case_ok
	else
		tail -n 20 "$log" | sed 's/^/      /'
		case_fail "make bench smoke run (log: $log)"
	fi
	tail -n 1 "$log" | sed 's/^/   /'
}

# --- s. KCSAN ----------------------------------------------------------

# A second kernel, KCSAN instead of KASAN (they exclude each other), from
# scripts/debug-kernel-kcsan.config, cached like the debug kernel. KUnit
# and every selftest run on it; any 'BUG: KCSAN' data race report fails.
# panic_on_warn=0: KCSAN panics on its first report otherwise, and all of
# them are wanted (warnings still fail the run: qemu-run.sh looks for them).
KCSAN_TIMEOUT=600

stage_kcsan() {
	local dir tree log=$LOGS/kcsan-kernel.log mods=$CHECK/kcsan image s
	local kdir=$CHECK/guest-kunit-kcsan
	mkdir -p "$LOGS"
	dir=$(kcsan_kernel_dir) || { case_fail "KCSAN kernel: linux-source-6.1 missing"; return 0; }
	prebuild_wait debug-kernel-kcsan
	if [ -f "$dir/.knhk-done" ]; then
		echo "   KCSAN kernel: cache hit ($dir)"
	else
		echo "   KCSAN kernel: cache miss, building (about 15 minutes, log: $log)"
	fi
	if tree=$("$SCRIPTS/debug-kernel-kcsan.sh" 2>"$log"); then
		case_ok
	else
		tail -n 30 "$log" | sed 's/^/      /'
		case_fail "KCSAN kernel build (log: $log)"
		return 0
	fi
	if "$SCRIPTS/build-module.sh" "$tree" "$mods" | sed 's/^/   /' &&
		[ -f "$mods/knhk_sched.ko" ]; then
		case_ok
	else
		case_fail "build for the KCSAN kernel (W=1)"
		return 0
	fi
	image=$tree/arch/x86/boot/bzImage

	# KUnit, as stage f does on the debug kernel.
	if [ -f "$mods/knhk_sched_kunit.ko" ]; then
		rm -rf "$kdir"
		mkdir -p "$kdir"
		cp "$mods/knhk_sched.ko" "$mods/knhk_sched_kunit.ko" "$kdir/"
		write_kunit_guest >"$kdir/guest.sh"
		BOOT_KCSAN=1 BOOT_EXTRA=panic_on_warn=0 boot_guest kunit-kcsan "$image" \
			"$KCSAN_TIMEOUT" "$kdir"
		local -a suites
		mapfile -t suites < <(sed -n 's/^KNHK-KUNIT-BEGIN //p' "$LOGS/kunit-kcsan.log")
		[ "${#suites[@]}" -gt 0 ] || case_fail "kcsan: KUnit printed no suite"
		for s in "${suites[@]}"; do
			add_counts "kcsan/kunit/$s" < <(tap_block "kcsan/kunit/$s" \
				"$LOGS/kunit-kcsan.log" "KNHK-KUNIT-BEGIN $s" \
				"KNHK-KUNIT-END $s" '    ' 1)
		done
	else
		case_fail "knhk_sched_kunit.ko not built for the KCSAN kernel"
	fi

	BOOT_KCSAN=1 BOOT_EXTRA=panic_on_warn=0 selftest_lane kcsan "$image" "$mods" \
		"$KCSAN_TIMEOUT" 0

	# Reports naming knhk fail; the kernel's own races (scheduler, idle
	# and tick code, with or without the module) are listed, not counted.
	local f n k
	for f in "$LOGS/kunit-kcsan.log" "$LOGS/selftests-kcsan.log"; do
		[ -f "$f" ] || continue
		n=$(kcsan_reports own <"$f" | grep -ac 'BUG: KCSAN' || true)
		k=$(kcsan_reports kernel <"$f" | wc -l)
		if [ "${n:-0}" = 0 ]; then
			case_ok
			echo "   ${f##*/}: 0 KCSAN reports naming knhk, $k of the kernel's own"
		else
			case_fail "kcsan: $n data race report(s) naming knhk in ${f##*/}"
			kcsan_reports own <"$f" | grep -a -A12 'BUG: KCSAN' | head -n 60 |
				sed 's/^/   | /'
		fi
		kcsan_reports kernel <"$f" | sed 's/^/   | the kernel'"'"'s: /'
	done
}

# --- main ---------------------------------------------------------------

main() {
	SELECTED=${1:-abcdefghijkprs}
	mkdir -p "$CHECK" "$LOGS"
	local start
	start=$(date +%s)
	run_stage a "dependencies and kernels" stage_deps
	run_stage b "the module built for every kernel" stage_kernel_builds
	run_stage c "checkpatch --strict" stage_checkpatch
	run_stage d "debug kernel and build" stage_debug
	run_stage e "selftests and tools" stage_userspace
	run_stage f "KUnit on the debug kernel" stage_kunit
	run_stage g "selftests on every kernel and the debug kernel" stage_selftests
	run_stage h "DKMS on every kernel, as users run it" stage_dkms
	run_stage i "the same digests at -smp 1, 2 and 4" stage_vm_sizes
	run_stage j "a replay log carried from a -smp 2 VM to a -smp 4 VM" stage_xvm
	run_stage r "replicas fed by etcd: one digest, a restart, divergence exposed" stage_replicas
	run_stage p "make bench, a smoke run" stage_bench_smoke
	run_stage s "KUnit and selftests on the KCSAN kernel" stage_kcsan
	run_stage k "the determinism matrix: VM sizes, kernels, perturbation, hotplug, stealing" stage_matrix
	# A background build whose stage did not run (it failed earlier).
	[ -z "$PREBUILD_PID" ] || wait "$PREBUILD_PID" || true
	print_kernel_table
	[ "$HB_LOGS" = 0 ] ||
		echo "== happens-before: $HB_LOGS logs, $HB_EVENTS events checked"
	echo "== total $(($(date +%s) - start))s; logs in $LOGS"
	if [ "$FAILED" -gt 0 ]; then
		echo "== failures:"
		printf '   %s\n' "${FAILURES[@]}"
	fi
	local summary="$PASSED passed, $FAILED failed"
	[ "$SKIPPED" = 0 ] || summary+=", $SKIPPED skipped"
	echo "$summary"
	[ "$FAILED" = 0 ]
}

main "$@"
