#!/usr/bin/env bash
# Train on a Slurm cluster, one task per GPU (mmdet's slurm_train.sh arguments):
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]
# GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS as in mmdet's.
# GPUS_PER_NODE=0: CPU nodes (no --gres; GPUS tasks, gloo).
set -euo pipefail
PARTITION=${1:?usage: slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [args]}
JOB_NAME=${2:?usage: slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [args]}
CONFIG=${3:?usage: slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [args]}
WORK_DIR=${4:?usage: slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [args]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/slurm_common.sh"
slurm_run "$ROOT/tools/train.py" "$CONFIG" --work-dir="$WORK_DIR" --launcher=slurm "${@:5}"
