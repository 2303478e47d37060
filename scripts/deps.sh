#!/usr/bin/env bash
# Install the Debian packages that building and testing knhk-sched needs.
# Idempotent and quiet when everything is already there, so every make
# target can call it first. Usage: scripts/deps.sh
set -euo pipefail

# Everything the build, the QEMU lanes, checkpatch and DKMS use.
# Add new packages here (one list, so there is one place to look).
PACKAGES=(
	# compiler and kernel module build
	gcc make libc6-dev bc flex bison libelf-dev libssl-dev kmod sparse
	# the stock Debian kernel (guest of the stock lane) and its headers
	linux-image-amd64 linux-headers-amd64
	# source of the debug kernel and of checkpatch.pl
	linux-source-6.1 xz-utils perl
	# QEMU lanes: emulator, initramfs userland and archiver
	qemu-system-x86 busybox-static cpio
	# scripts: file copies, timeouts
	rsync coreutils
	# DKMS packaging check
	dkms
	# the trixie chroot the trixie-backports kernel's modules are built in
	# (scripts/kernels.sh)
	debootstrap
	# knhkctl and selftests: xxh64 of the replay digest (static libxxhash)
	libxxhash-dev
	# tools fuzzing: clang with libFuzzer (-fsanitize=fuzzer)
	clang libclang-rt-14-dev
	# make bench: the peers (ConcurrencyKit ck_ring; DPDK rte_ring, the
	# headers and libraries of dpdk-dev; liburing.a) and the plots
	libck-dev libdpdk-dev liburing-dev gnuplot-nox
	# make check stage r: etcd orders the replicas' stream (server, etcdctl)
	etcd-server etcd-client
)

# Print the packages of PACKAGES that are not installed.
missing_packages() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) || status=
		[ "${status:0:2}" = ii ] || echo "$p"
	done
}

main() {
	local missing
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] && return 0

	if [ "$(id -u)" -ne 0 ]; then
		echo "knhk: missing packages: ${missing[*]}" >&2
		echo "knhk: as root, run:" >&2
		echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	echo "knhk: installing ${missing[*]}" >&2
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}" >&2
}

main "$@"
