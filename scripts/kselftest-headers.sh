#!/usr/bin/env bash
# Print a directory holding kselftest_harness.h and kselftest.h, taken from
# the Debian linux-source-6.1 package (tools/testing/selftests/). They are
# extracted once into $KNHK_CACHE/kselftest-<package version>/ and never
# copied into the repository. Used by selftests/Makefile.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed (run: make deps, or apt-get install linux-source-6.1)"
[ -f "$tarball" ] || die "$tarball is missing (reinstall linux-source-6.1)"

dir=$KNHK_CACHE/kselftest-$ver
if [ -f "$dir/kselftest_harness.h" ] && [ -f "$dir/kselftest.h" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$KNHK_CACHE" || die "cannot create $KNHK_CACHE (set KNHK_CACHE to a writable directory)"
log "extracting the kselftest headers of linux-source-6.1 $ver into $dir"
# Extract into a private directory, then rename: concurrent builds either
# see the finished directory or none.
tmp=$(mktemp -d "$KNHK_CACHE/.kselftest-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sub=linux-source-6.1/tools/testing/selftests
tar -C "$tmp" -xJf "$tarball" "$sub/kselftest_harness.h" "$sub/kselftest.h" ||
	die "cannot extract the kselftest headers from $tarball"
mkdir "$tmp/out"
mv "$tmp/$sub/kselftest_harness.h" "$tmp/$sub/kselftest.h" "$tmp/out/"
if ! mv -T "$tmp/out" "$dir" 2>/dev/null; then
	# Another build won the race; use its copy.
	[ -f "$dir/kselftest_harness.h" ] || die "cannot install $dir"
fi
echo "$dir"
