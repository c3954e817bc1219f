#!/usr/bin/env bash
# Train on a Slurm cluster, one task per GPU.
#   [GPUS=16 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py flags]
set -euo pipefail
exec bash "$(dirname "$0")/launch/srun.sh" "$1" "$2" train.py "$3" --work-dir="$4" "${@:5}"
