#!/usr/bin/env bash
# Test on a Slurm cluster, one task per GPU.
#   [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py flags]
set -euo pipefail
exec bash "$(dirname "$0")/launch/srun.sh" "$1" "$2" test.py "$3" "$4" "${@:5}"
