#!/usr/bin/env bash
# Test with N processes per node via torchrun; multi-node with NNODES, NODE_RANK, MASTER_ADDR, PORT.
#   bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [tools/test.py flags...]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=node0 bash tools/dist_test.sh CONFIG CKPT 8   # on the first node
set -euo pipefail
exec bash "$(dirname "$0")/launch/torchrun.sh" "$3" test.py "$1" "$2" "${@:4}"
