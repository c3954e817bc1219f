#!/usr/bin/env bash
# Train with N processes per node via torchrun; multi-node with NNODES, NODE_RANK, MASTER_ADDR, PORT.
#   bash tools/dist_train.sh CONFIG NPROC [tools/train.py flags...]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=node0 bash tools/dist_train.sh CONFIG 8   # on the first node
set -euo pipefail
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
python -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" "$HERE/train.py" "$CONFIG" --launcher pytorch "${@:3}"
