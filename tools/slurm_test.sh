#!/usr/bin/env bash
# Test on a Slurm cluster, one task per GPU (mmdet's slurm_test.sh arguments):
#   tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
# GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS as in mmdet's.
# GPUS_PER_NODE=0: CPU nodes (no --gres; GPUS tasks, gloo).
set -euo pipefail
PARTITION=${1:?usage: slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]}
JOB_NAME=${2:?usage: slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]}
CONFIG=${3:?usage: slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]}
CHECKPOINT=${4:?usage: slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/slurm_common.sh"
slurm_run "$ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher=slurm "${@:5}"
