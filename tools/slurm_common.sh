# Sourced by slurm_train.sh and slurm_test.sh: srun with mmdet's settings.
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
PYTHON=${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python)}
slurm_run() {
    local per_node=(--ntasks-per-node="$GPUS_PER_NODE" --gres=gpu:"$GPUS_PER_NODE")
    [ "$GPUS_PER_NODE" = 0 ] && per_node=()
    # SRUN_ARGS: extra srun options, split on spaces as mmdet's scripts do
    # shellcheck disable=SC2086
    # ${a[@]+"${a[@]}"}: an empty array under set -u on bash < 4.4 too
    exec srun -p "$PARTITION" --job-name="$JOB_NAME" --ntasks="$GPUS" ${per_node[@]+"${per_node[@]}"} \
        --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 ${SRUN_ARGS:-} \
        "$PYTHON" -u "$@"
}
