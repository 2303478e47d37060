#!/usr/bin/env bash
# A larger determinism matrix than `make check` runs: every combination of
# VM size (1, 2, 4, 8 CPUs on the stock kernel, 4 on the debug kernel),
# perturbation, CPU hotplug storm and lane stealing, a bigger workload and
# longer storms. Builds what it needs (check.sh stages b, d, e) first.
#
# Usage: scripts/stress.sh
# Environment: KNHK_MATRIX_TASKS (default 100000), KNHK_MATRIX_CYCLES
#   (hotplug cycles per storm row, default 40), KNHK_MATRIX_TIMEOUT (seconds
#   per guest, default 3600), KNHK_OUT as for check.sh.
# Ends with check.sh's `N passed, N failed` line and its exit status.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

export KNHK_MATRIX_FULL=1
export KNHK_MATRIX_TASKS=${KNHK_MATRIX_TASKS:-100000}
export KNHK_MATRIX_CYCLES=${KNHK_MATRIX_CYCLES:-40}
# One guest runs all the rows of its VM size: 8 at most.
export KNHK_MATRIX_TIMEOUT=${KNHK_MATRIX_TIMEOUT:-3600}
log "stress: $KNHK_MATRIX_TASKS tasks, $KNHK_MATRIX_CYCLES hotplug cycles per storm row"
exec "$KNHK_TOP/scripts/check.sh" bdek
