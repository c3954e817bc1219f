#!/usr/bin/env bash
# Train with N processes per node via torchrun; multi-node with NNODES, NODE_RANK, MASTER_ADDR, PORT.
#   bash tools/dist_train.sh CONFIG NPROC [tools/train.py flags...]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=node0 bash tools/dist_train.sh CONFIG 8   # on the first node
set -euo pipefail
exec bash "$(dirname "$0")/launch/torchrun.sh" "$2" train.py "$1" "${@:3}"
