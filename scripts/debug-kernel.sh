#!/usr/bin/env bash
# Build (once) the debug kernel (KASAN, lockdep, kmemleak, UBSAN,
# failslab) from linux-source-6.1: tinyconfig + scripts/guest-kernel.config
# + scripts/debug-kernel.config, cached outside the clone (lib.sh:
# knhk_test_kernel). Prints the build tree's path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

knhk_test_kernel debug-kernel "$KNHK_TOP/scripts/debug-kernel.config"
