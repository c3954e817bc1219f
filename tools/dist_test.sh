#!/usr/bin/env bash
# Test with N processes per node via torchrun; multi-node with NNODES, NODE_RANK, MASTER_ADDR, PORT.
#   bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [tools/test.py flags...]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=node0 bash tools/dist_test.sh CONFIG CKPT 8   # on the first node
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$HERE/..${PYTHONPATH:+:$PYTHONPATH}" \
python -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" "$HERE/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
