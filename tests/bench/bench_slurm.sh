#!/bin/bash
# Wall time of the shared-data pipeline run locally and through SLURM (without and with the
# slurm profile's groups), and the number of SLURM jobs each submits.
#
#   tests/slurm/cluster.sh up && tests/bench/bench_slurm.sh [OUT_DIR] ; tests/slurm/cluster.sh down
#
# OUT_DIR (default: a new temp dir) gets one run folder per variant and their logs.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$(mktemp -d)}
SHARED_DATA=${VARNODE_SHARED_DATA:-$(cd "$REPO/../shared/data" && pwd)}
PYTHON=${PYTHON:-python}
CORES=$(nproc)
# A status check right after submission, and squeue instead of sacct (no slurmdbd here).
SLURM_TEST_OPTS=(--slurm-status-command squeue --slurm-init-seconds-before-status-checks 1)

make_run_dir() {
    mkdir -p "$OUT/$1"
    (cd "$REPO" && "$PYTHON" -c "
import sys
from pathlib import Path
from tests.conftest import write_workdir
write_workdir(Path(sys.argv[1]), Path(sys.argv[2]))
" "$OUT/$1" "$SHARED_DATA")
}

timed_run() {
    local name=$1 start end
    shift
    make_run_dir "$name"
    start=$EPOCHREALTIME
    (cd "$OUT/$name" && timeout -k 10 3600 "$PYTHON" -m snakemake -s "$REPO/Snakefile" "$@") \
        >"$OUT/$name.log" 2>&1
    end=$EPOCHREALTIME
    printf '%-10s wall %6.1f s  SLURM jobs %3d\n' "$name" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
        "$(grep -c 'has been submitted with SLURM jobid' "$OUT/$name.log" || true)"
}

timed_run local --workflow-profile "$REPO/workflow/profiles/default" --cores "$CORES"
# A group for no rule replaces the profile's groups: every job is its own SLURM job.
timed_run ungrouped --workflow-profile "$REPO/workflow/profiles/slurm" --cores "$CORES" \
    "${SLURM_TEST_OPTS[@]}" --groups no_rule=none
timed_run grouped --workflow-profile "$REPO/workflow/profiles/slurm" --cores "$CORES" \
    "${SLURM_TEST_OPTS[@]}"
echo "runs and logs in $OUT"
