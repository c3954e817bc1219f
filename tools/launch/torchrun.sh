#!/usr/bin/env bash
# Shared by tools/dist_train.sh and tools/dist_test.sh: run a tools/ script under torchrun, N processes per node;
# multi-node with NNODES, NODE_RANK, MASTER_ADDR, PORT.
#   bash tools/launch/torchrun.sh NPROC SCRIPT.py [script arguments...]
set -euo pipefail
NPROC=$1
SCRIPT=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
TOOLS=$(cd "$(dirname "$0")/.." && pwd)
PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
python -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" "$TOOLS/$SCRIPT" --launcher pytorch "${@:3}"
