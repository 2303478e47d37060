#!/usr/bin/env bash
# The Debian kernels knhk-sched is tested on, made ready and listed:
#   6.1   bookworm's kernel: the one linux-headers-amd64 (scripts/deps.sh)
#         depends on, booted from /boot
#   6.12  the newest linux-headers-6.12.*+deb12|bpo-amd64 the machine's apt
#         sources offer (bookworm-security today), installed on the host
#   7.3   the newest kernel in trixie-backports (what linux-headers-amd64
#         there depends on; 7.3 today), its headers in a trixie chroot made
#         with debootstrap: Debian builds those kernels with trixie's
#         gcc-14, so modules for them are built there
# The guests boot the vmlinuz of each kernel's image package, taken into the
# cache (6.1's is installed in /boot by scripts/deps.sh).
# The apt sources for trixie are derived from the machine's own (the URI
# that serves bookworm, and the one that serves bookworm-security); no
# mirror is named here.
#
# Usage: scripts/kernels.sh [list]
#   Prints one line per kernel, "label kver root kdir image":
#     label  6.1, 6.12, or the trixie-backports kernel's major.minor (7.3)
#     kver   its release (uname -r)
#     root   / or the chroot its module builds run in
#     kdir   its build tree, a path inside root
#     image  the vmlinuz to boot, a host path
#   Installs or builds what is missing first (as root); progress on stderr.
#
# The chroot is cached in $KNHK_CACHE/trixie-<kernel version>-<key>, the key
# made of the functions and package list that make it; a new
# trixie-backports kernel or a change to those makes a new one (about 10
# minutes) and removes the old.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Packages of the trixie chroot: the module build, sparse and DKMS. The
# kernel's headers and image come from trixie-backports on top.
CHROOT_PACKAGES=make,gcc-14,libc6-dev,kmod,sparse,dkms

# The URI of the first apt source that serves suite $1, from sources.list
# one-line entries and deb822 .sources files alike.
apt_uri() {
	local suite=$1 f
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk -v s="$suite" '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == s) print $i
			}' "$f"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v s="$suite" '
			function flush(k) {
				if (deb)
					for (k = 1; k <= n; k++)
						if (su[k] == s) { print uri; break }
				deb = 0; n = 0; uri = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { deb = ($0 ~ /[: ]deb( |$)/) }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { n = split(substr($0, 8), su, " ") }
			END { flush() }' "$f"
		done
	} | head -n 1
}

# deb822 sources for the chroot: trixie, -updates and -backports from the
# URI that serves bookworm, trixie-security from bookworm-security's.
trixie_sources() {
	local main sec
	main=$(apt_uri bookworm)
	[ -n "$main" ] || die "no apt source serves bookworm: cannot derive trixie's"
	sec=$(apt_uri bookworm-security)
	printf 'Types: deb\nURIs: %s\nSuites: trixie trixie-updates trixie-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$main"
	[ -z "$sec" ] ||
		printf '\nTypes: deb\nURIs: %s\nSuites: trixie-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$sec"
}

# Run apt-get/apt-cache ($1) with trixie's sources in a private state
# directory $2 (trixie_bpo_kver makes it), so the host's own apt state is
# not touched.
trixie_apt() {
	local tool=$1 dir=$2
	shift 2
	"$tool" -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$dir/sources" \
		-o Dir::State="$dir/state" -o Dir::Cache="$dir/cache" \
		-o Dir::State::status=/dev/null -o APT::Architectures=amd64 \
		-o Debug::NoLocking=1 "$@"
}

# The trixie-backports kernel release that linux-headers-amd64 there
# depends on, e.g. 7.3.4+deb13-amd64 (refreshed once a day).
trixie_bpo_kver() {
	local dir=$KNHK_CACHE/trixie-apt stamp
	mkdir -p "$dir/sources" "$dir/state/lists/partial" "$dir/cache/archives/partial"
	stamp=$dir/state/.updated
	trixie_sources >"$dir/sources/trixie.sources"
	if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		trixie_apt apt-get "$dir" update >&2 || die "apt-get update for trixie failed"
		touch "$stamp"
	fi
	trixie_apt apt-cache "$dir" show linux-headers-amd64/trixie-backports 2>/dev/null |
		sed -n 's/^Depends: //p' | grep -o 'linux-headers-[^ ,]*-amd64' |
		sed 's/^linux-headers-//' | sort -V | tail -n 1
}

# The chroot for trixie-backports kernel $1: debootstrap from the URI that
# serves bookworm, trixie's sources, then the kernel's headers and image.
make_trixie_chroot() {
	local kver=$1 root=$2 main
	main=$(apt_uri bookworm)
	log "making a trixie chroot for $kver in $root (about 10 minutes)"
	rm -rf "$root"
	mkdir -p "$root"
	debootstrap --variant=minbase --include="$CHROOT_PACKAGES" trixie "$root" "$main" >&2 ||
		die "debootstrap trixie failed"
	: >"$root/etc/apt/sources.list"
	trixie_sources >"$root/etc/apt/sources.list.d/debian.sources"
	knhk_chroot "$root" apt-get -q update >&2 &&
		DEBIAN_FRONTEND=noninteractive knhk_chroot "$root" apt-get -q install -y \
			--no-install-recommends "linux-headers-$kver" >&2 ||
		die "installing linux-headers-$kver in the trixie chroot failed"
	touch "$root/.knhk-done"
}

# The vmlinuz of kernel $1, taken out of its package (downloaded with $2...,
# an apt-get command line) into the cache; prints its path. Only the guests
# boot it: installing the package would only make an initramfs. It is
# /boot/vmlinuz-$1 in linux-image-$1 up to 6.12, and from 7.x on
# /usr/lib/modules/$1/vmlinuz in linux-binary-$1, which linux-image-$1
# depends on.
cached_vmlinuz() {
	local kver=$1 dir=$KNHK_CACHE/images pkg deb member
	shift
	if [ ! -f "$dir/vmlinuz-$kver" ]; then
		mkdir -p "$dir"
		for pkg in "linux-image-$kver" "linux-binary-$kver"; do
			rm -f "$dir"/*.deb
			(cd "$dir" && "$@" download "$pkg" >&2) || continue
			deb=$(find "$dir" -name "${pkg}_*.deb" | head -n 1)
			member=$(dpkg-deb -c "$deb" | awk '{print $NF}' |
				grep -Fx -e "./boot/vmlinuz-$kver" -e "./usr/lib/modules/$kver/vmlinuz") ||
				continue
			dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" >"$dir/vmlinuz-$kver.tmp" &&
				mv "$dir/vmlinuz-$kver.tmp" "$dir/vmlinuz-$kver"
			break
		done
		rm -f "$dir"/*.deb "$dir/vmlinuz-$kver.tmp"
		[ -s "$dir/vmlinuz-$kver" ] || die "no vmlinuz-$kver in linux-image-$kver or linux-binary-$kver"
	fi
	echo "$dir/vmlinuz-$kver"
}

# bookworm's 6.1 (lib.sh's stock_kver).
kernel_61() {
	local kver
	kver=$(stock_kver) || die "bookworm's linux-image-amd64 and linux-headers-amd64 are not installed (run: make deps)"
	echo "6.1 $kver / /lib/modules/$kver/build /boot/vmlinuz-$kver"
}

# The newest 6.12 for bookworm that the apt sources offer: its headers
# installed, its vmlinuz taken out of the image package into the cache.
kernel_612() {
	local kver image
	kver=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+(deb12|bpo)-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n 1)
	[ -n "$kver" ] || die "no linux-headers-6.12.*-amd64 in the apt sources"
	if [ ! -d "/lib/modules/$kver/build" ]; then
		log "installing linux-headers-$kver"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"linux-headers-$kver" >&2 || die "cannot install linux-headers-$kver"
	fi
	image=/boot/vmlinuz-$kver
	[ -f "$image" ] || image=$(cached_vmlinuz "$kver" apt-get)
	echo "6.12 $kver / /lib/modules/$kver/build $image"
}

# The newest trixie-backports kernel, in its chroot.
kernel_bpo() {
	local kver key root old kdir
	kver=$(trixie_bpo_kver)
	[ -n "$kver" ] || die "no linux-headers-amd64 in trixie-backports"
	key=$({ echo "$CHROOT_PACKAGES"; declare -f trixie_sources make_trixie_chroot; } |
		sha256sum | cut -c1-16)
	root=$KNHK_CACHE/trixie-$kver-$key
	if [ ! -f "$root/.knhk-done" ]; then
		make_trixie_chroot "$kver" "$root"
		for old in "$KNHK_CACHE"/trixie-*-*; do
			[ "$old" = "$root" ] || [ ! -f "$old/.knhk-done" ] || rm -rf "$old"
		done
	fi
	image=$(cached_vmlinuz "$kver" trixie_apt apt-get "$KNHK_CACHE/trixie-apt")
	# /lib/modules/$kver/build is a link: name its target, a path the host
	# finds under $root too.
	kdir=$(chroot "$root" readlink -e "/lib/modules/$kver/build") ||
		die "no build tree for $kver in $root"
	echo "$(cut -d. -f1,2 <<<"$kver") $kver $root $kdir $image"
}

main() {
	[ "${1:-list}" = list ] || die "usage: $0 [list]"
	kernel_61
	kernel_612
	kernel_bpo
}

main "$@"
