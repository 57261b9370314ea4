#!/usr/bin/env bash
# Train with N processes through torchrun: tools/dist_train.sh CONFIG N [train.py args]
# NNODES, NODE_RANK, MASTER_ADDR, PORT as in mmdet's dist_train.sh.
set -euo pipefail
CONFIG=${1:?usage: dist_train.sh CONFIG NPROC [args]}
NPROC=${2:?usage: dist_train.sh CONFIG NPROC [args]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$([ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python)}
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$ROOT/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
