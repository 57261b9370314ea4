#!/usr/bin/env bash
# Test with N processes through torchrun: tools/dist_test.sh CONFIG CHECKPOINT N [test.py args]
# NNODES, NODE_RANK, MASTER_ADDR, PORT as in mmdet's dist_test.sh.
set -euo pipefail
CONFIG=${1:?usage: dist_test.sh CONFIG CHECKPOINT NPROC [args]}
CHECKPOINT=${2:?usage: dist_test.sh CONFIG CHECKPOINT NPROC [args]}
NPROC=${3:?usage: dist_test.sh CONFIG CHECKPOINT NPROC [args]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python)}
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$ROOT/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
