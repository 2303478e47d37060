#!/usr/bin/env bash
# Build (once) the debug kernel from linux-source-6.1 with
# scripts/debug-kernel.config, cached outside the clone under a key made of
# the fragment, this script and the source package version. Prints the build
# tree's path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$(debug_kernel_dir)
if [ -f "$dir/.knhk-done" ]; then
	echo "$dir/linux-source-6.1"
	exit 0
fi

log "building the debug kernel in $dir (about 10 minutes on 2 cores)"
rm -rf "$dir"
mkdir -p "$dir"
tar -C "$dir" -xf /usr/src/linux-source-6.1.tar.xz
src=$dir/linux-source-6.1
cd "$src"
make -s x86_64_defconfig >&2
scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config \
	"$KNHK_TOP/scripts/debug-kernel.config" >&2
make -s olddefconfig >&2

# merge_config only warns when an option does not stick: make it fatal.
bad=0
while read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	opt=${want#\# }; opt=${opt%%[= ]*}
	if ! grep -qxF "$want" .config; then
		# "not set" is also satisfied by the option being absent.
		case "$want" in "#"*) grep -q "^$opt=" .config || continue ;; esac
		log "debug config: wanted '$want', got '$(grep "${opt}[= ]" .config || echo absent)'"
		bad=1
	fi
done < "$KNHK_TOP/scripts/debug-kernel.config"
[ "$bad" = 0 ] || die "debug kernel config does not hold the fragment"

make -s -j"$(($(nproc) + 1))" bzImage modules >&2
touch "$dir/.knhk-done"
# Keep only the newest cached kernel.
for old in "$KNHK_CACHE"/debug-kernel-*; do
	[ "$old" = "$dir" ] || rm -rf "$old"
done
echo "$src"
