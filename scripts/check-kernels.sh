# shellcheck shell=bash
# The kernel stages of make check, sourced by scripts/check.sh: the module
# on every kernel scripts/kernels.sh lists (bookworm's 6.1, the newest 6.12
# for bookworm, the newest trixie-backports kernel), DKMS as users run it,
# and the table of what passed on which kernel.

# "label kver root kdir image" per kernel (scripts/kernels.sh).
KERNELS=()
# The table: KTABLE[label:column] = ok, FAIL, or a value (a digest).
declare -A KTABLE=()
KCOLUMNS=(build sparse selftests digest dkms postinst)

# Whether scripts/kernels.sh failed: a kernel it could not make ready is
# missing from KERNELS, and stage a fails for it.
KERNELS_FAILED=0

# Fill KERNELS, once. Stage a makes them ready; without it this only
# lists what is there. The kernels listed before a failure are still
# tested.
load_kernels() {
	local out
	[ "${#KERNELS[@]}" -eq 0 ] || return 0
	mkdir -p "$LOGS"
	out=$("$SCRIPTS/kernels.sh" 2>>"$LOGS/kernels.log") || KERNELS_FAILED=1
	[ -z "$out" ] || mapfile -t KERNELS <<<"$out"
	[ "${#KERNELS[@]}" -gt 0 ]
}

# Set K_LABEL K_KVER K_ROOT K_KDIR K_IMAGE from KERNELS line $1.
kernel_fields() {
	# shellcheck disable=SC2086 # fields
	set -- $1
	K_LABEL=$1 K_KVER=$2 K_ROOT=$3 K_KDIR=$4 K_IMAGE=$5
}

# The module directory of kernel label $1: stage b builds it there.
kernel_mods() {
	if [ "$1" = 6.1 ]; then echo "$CHECK/stock"; else echo "$CHECK/kernel-$1"; fi
}

# The vmlinuz of a matrix kernel label ("debug" is the debug kernel).
kernel_image() {
	local line
	if [ "$1" = debug ]; then
		have_debug_tree && echo "$DEBUG_TREE/arch/x86/boot/bzImage"
		return
	fi
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		[ "$K_LABEL" = "$1" ] && { echo "$K_IMAGE"; return 0; }
	done
	return 1
}

kt_set() { KTABLE[$1:$2]=$3; }

# --- a. the kernels -----------------------------------------------------

stage_kernels() {
	local line start
	start=$(date +%s)
	if ! load_kernels || [ "$KERNELS_FAILED" = 1 ]; then
		tail -n 20 "$LOGS/kernels.log" | sed 's/^/      /'
		case_fail "scripts/kernels.sh: a kernel is missing (log: $LOGS/kernels.log)"
	else
		case_ok
	fi
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		printf '   kernel %-5s %-22s build tree %s%s\n' "$K_LABEL" "$K_KVER" \
			"${K_ROOT%/}" "$K_KDIR"
	done
	echo "   kernels ready in $(($(date +%s) - start))s (log: $LOGS/kernels.log)"
}

# --- b. builds ----------------------------------------------------------

# W=1 and, where that kernel's build runs it, sparse (C=1): a kernel whose
# checker-valid.sh is missing or finds sparse too old skips it, and the
# table says n/a.
stage_kernel_builds() {
	local line mods root
	load_kernels || { case_fail "no kernels (stage a)"; return 0; }
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		mods=$(kernel_mods "$K_LABEL")
		root=
		[ "$K_ROOT" = / ] || root=$K_ROOT
		[ "$K_LABEL" != 6.1 ] || STOCK_KVER=$K_KVER
		if KNHK_CHROOT=$root SPARSE=1 "$SCRIPTS/build-module.sh" "$K_KDIR" "$mods" |
			sed 's/^/   /'; then
			case_ok
			kt_set "$K_LABEL" build ok
		else
			# A build with only warnings still left a module: later
			# stages test it.
			case_fail "build for $K_KVER (W=1 C=1)"
			kt_set "$K_LABEL" build FAIL
		fi
		if grep -q '^  CHECK ' "$mods/build.log" 2>/dev/null; then
			kt_set "$K_LABEL" sparse "${KTABLE[$K_LABEL:build]}"
		else
			kt_set "$K_LABEL" sparse n/a
			echo "   $K_KVER: its build did not run sparse: $(grep -ho 'sparse is not available.*' \
				"$mods/build.log" | head -n 1)"
		fi
	done
}

# --- g. selftests on the kernels other than 6.1 ------------------------

# 6.1 and the debug kernel run in stage_selftests; the others here, each
# in a 4-vCPU guest of its own.
kernel_selftests() {
	local line p0 f0 label
	load_kernels || return 0
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		label=$K_LABEL
		[ "$label" != 6.1 ] || continue
		p0=$PASSED f0=$FAILED
		selftest_lane "$label" "$K_IMAGE" "$(kernel_mods "$label")" "$STOCK_TIMEOUT" 0 \
			"selftests-$label"
		if [ "$FAILED" = "$f0" ] && [ "$PASSED" -gt "$p0" ]; then
			kt_set "$label" selftests ok
		else
			kt_set "$label" selftests FAIL
		fi
	done
}

# --- h. DKMS, as users run it -------------------------------------------

# In root $1 (/ or a chroot), run a command.
in_root() {
	local root=$1
	shift
	if [ "$root" = / ]; then "$@"; else knhk_chroot "$root" "$@"; fi
}

# Files DKMS left of knhk-sched in root $1.
dkms_leftovers() {
	local root=${1%/}
	ls -d "$root/var/lib/dkms/knhk-sched" "$root"/lib/modules/*/updates/dkms/knhk_sched.ko* \
		2>/dev/null || true
}

# The module DKMS installed for kernel $2 in root $1, uncompressed into
# file $3 (Debian's newer kernels have DKMS compress modules; busybox's
# insmod takes only plain ones).
dkms_module() {
	local root=${1%/} kver=$2 out=$3 ko
	ko=$(ls "$root/lib/modules/$kver/updates/dkms/"knhk_sched.ko* 2>/dev/null | head -n 1)
	case "$ko" in
	*.ko) cp "$ko" "$out" ;;
	*.ko.xz) xz -dc "$ko" >"$out" ;;
	*.ko.zst) zstd -qdc "$ko" >"$out" ;;
	*.ko.gz) gzip -dc "$ko" >"$out" ;;
	*) return 1 ;;
	esac
}

# One kernel: add, build, install, modinfo, the module kept for a guest,
# remove --all with nothing left; then add again and run the kernel
# package's own hook, /etc/kernel/postinst.d/dkms, as an upgrade to that
# kernel does: it must exit 0 and install the module; remove --all again.
# Runs in a subshell whose exit trap removes knhk-sched from DKMS and its
# source from /usr/src whatever happens. Prints "dkms-status postinst-status".
dkms_kernel() {
	local label=$1 kver=$2 root=$3 ver=$4 log=$5 out=$6
	(
		src=${root%/}/usr/src/knhk-sched-$ver
		cleanup() {
			in_root "$root" dkms remove -m knhk-sched -v "$ver" --all >>"$log" 2>&1
			rm -rf "$src"
		}
		trap cleanup EXIT
		d=FAIL p=FAIL
		mkdir -p "$src"
		rsync -a "$KNHK_TOP/dkms.conf" "$KNHK_TOP/Kbuild" "$KNHK_TOP/module" \
			"$KNHK_TOP/include" "$KNHK_TOP/kunit" "$src/"
		r() { echo "+ $(date +%T) $*" >>"$log"; in_root "$root" "$@" >>"$log" 2>&1; }
		if r dkms add -m knhk-sched -v "$ver" && r dkms build -m knhk-sched -v "$ver" -k "$kver" &&
			r dkms install -m knhk-sched -v "$ver" -k "$kver" &&
			dkms_module "$root" "$kver" "$out/knhk_sched.ko" &&
			[ "$(modinfo -F version "$out/knhk_sched.ko")" = "$ver" ] &&
			[ -z "$(find "${root%/}/var/lib/dkms/knhk-sched" -name 'knhk_sched_kunit.ko*')" ] &&
			r dkms remove -m knhk-sched -v "$ver" --all && [ -z "$(dkms_leftovers "$root")" ]; then
			d=ok
		fi
		if r dkms add -m knhk-sched -v "$ver" && r /etc/kernel/postinst.d/dkms "$kver" &&
			[ -n "$(dkms_leftovers "$root")" ] &&
			r dkms remove -m knhk-sched -v "$ver" --all && [ -z "$(dkms_leftovers "$root")" ]; then
			p=ok
		fi
		echo "$d $p"
	)
}

# A guest of the kernel that loads the module DKMS installed and runs a
# workload through it.
write_dkms_guest() {
	guest_prelude
	cat <<'EOF'
insmod /knhk/knhk_sched.ko
report $? "dkms: insmod of the DKMS-installed knhk_sched.ko"
/knhk/knhkctl run /knhk/xvm.knhk >/tmp/run.out 2>&1
report $? "dkms: a workload through it"
rmmod knhk_sched
report $? "dkms: rmmod knhk_sched"
exit $rc
EOF
}

stage_dkms() {
	local line ver log out res dir f0
	load_kernels || { case_fail "dkms: no kernels (stage a)"; return 0; }
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$KNHK_TOP/dkms.conf")
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		if [ -n "$(in_root "$K_ROOT" dkms status -m knhk-sched 2>/dev/null)" ]; then
			case_fail "dkms: knhk-sched is already in DKMS in ${K_ROOT}; not touching it"
			continue
		fi
		log=$LOGS/dkms-cmds-$K_LABEL.log out=$CHECK/dkms-$K_LABEL
		rm -rf "$out"
		mkdir -p "$out"
		: >"$log"
		res=$(dkms_kernel "$K_LABEL" "$K_KVER" "$K_ROOT" "$ver" "$log" "$out")
		[ -n "$(dkms_leftovers "$K_ROOT")" ] && res="FAIL FAIL"
		f0=$FAILED
		if [ "${res% *}" = ok ]; then
			case_ok
			echo "   dkms $K_KVER: add, build, install (modinfo: version $ver), remove --all: ok"
		else
			case_fail "dkms add/build/install/remove for $K_KVER (log: $log)"
		fi
		if [ "${res#* }" = ok ]; then
			case_ok
			echo "   dkms $K_KVER: /etc/kernel/postinst.d/dkms $K_KVER exited 0, module installed"
		else
			case_fail "dkms: the kernel's postinst hook for $K_KVER (log: $log)"
		fi
		kt_set "$K_LABEL" postinst "${res#* }"
		dir=$CHECK/guest-dkms-load-$K_LABEL
		if [ -f "$out/knhk_sched.ko" ] && [ -x "$CHECK/tools/knhkctl" ]; then
			rm -rf "$dir"
			mkdir -p "$dir"
			cp "$out/knhk_sched.ko" "$CHECK/tools/knhkctl" "$SCRIPTS/xvm.knhk" "$dir/"
			write_dkms_guest >"$dir/guest.sh"
			SMP=2 boot_guest "dkms-load-$K_LABEL" "$K_IMAGE" "$STOCK_TIMEOUT" "$dir"
		else
			case_fail "dkms: no DKMS-installed module or knhkctl to load for $K_KVER"
		fi
		if [ "$FAILED" = "$f0" ]; then
			kt_set "$K_LABEL" dkms ok
		else
			kt_set "$K_LABEL" dkms FAIL
		fi
	done
}

# --- the table ----------------------------------------------------------

# Kernel x column, after the matrix has filled in each kernel's digest.
# The digest column must be one value over all kernels.
print_kernel_table() {
	local line c v digests
	[ "${#KERNELS[@]}" -gt 0 ] || return 0
	echo "== kernels"
	printf '   %-5s %-22s' kernel release
	for c in "${KCOLUMNS[@]}"; do
		if [ "$c" = digest ]; then printf ' %-16s' "$c"; else printf ' %-9s' "$c"; fi
	done
	echo
	for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		printf '   %-5s %-22s' "$K_LABEL" "$K_KVER"
		for c in "${KCOLUMNS[@]}"; do
			v=${KTABLE[$K_LABEL:$c]:--}
			if [ "$c" = digest ]; then printf ' %-16s' "$v"; else printf ' %-9s' "$v"; fi
		done
		echo
	done
	digests=$(for line in "${KERNELS[@]}"; do
		kernel_fields "$line"
		echo "${KTABLE[$K_LABEL:digest]:-none}"
	done | sort -u)
	if [ "$(wc -l <<<"$digests")" = 1 ] && [ "$digests" != none ]; then
		echo "   one digest on every kernel: $digests"
	else
		echo "   the kernels' digests differ (or one is missing): $(tr '\n' ' ' <<<"$digests")"
	fi
}
