#!/usr/bin/env bash
# Print the kernel build directory to build against: the running kernel's if
# its headers are installed, else the newest installed /lib/modules/*/build.
set -u
run=/lib/modules/$(uname -r)/build
if [ -d "$run" ]; then echo "$run"; exit 0; fi
newest=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -1)
if [ -n "$newest" ] && [ -d "$newest" ]; then echo "$newest"; exit 0; fi
echo "knhk: no kernel headers found in /lib/modules/*/build;" \
	"install them (apt-get install linux-headers-amd64) or pass KDIR=" >&2
exit 1
