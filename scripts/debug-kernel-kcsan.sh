#!/usr/bin/env bash
# Build (once) the KCSAN kernel from linux-source-6.1: tinyconfig +
# scripts/guest-kernel.config + scripts/debug-kernel-kcsan.config, cached
# outside the clone (lib.sh: knhk_test_kernel). Prints the build tree's
# path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

knhk_test_kernel kcsan-kernel "$KNHK_TOP/scripts/debug-kernel-kcsan.config"
