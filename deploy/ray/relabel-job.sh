#!/usr/bin/env bash
# Relabel a dataset on a Ray cluster whose nodes have mmreward installed (the image built with
# `docker build --build-arg EXTRAS=[ray] -f deploy/Dockerfile .`, or `pip install mmreward[ray]`)
# and see the same filesystem (NFS, or a mounted bucket) for INPUT and OUTPUT.
# The driver runs on the head node and writes the checkpointed parts next to OUTPUT, so
# submitting the same job again after a failure continues where it stopped.
set -euo pipefail
RAY_ADDRESS=${RAY_ADDRESS:-http://127.0.0.1:8265}
INPUT=${1:-/data/rollouts.parquet}
OUTPUT=${2:-/data/rollouts.scored.parquet}

ray job submit --address "$RAY_ADDRESS" --no-wait -- \
  mmreward relabel "$INPUT" "$OUTPUT" \
    --recipe r1v --map response=completion reference=answer \
    --group-by prompt_id --summary-json "$OUTPUT.summary.json" \
    --ray-address auto --ray-actors 8 --ray-cpus 0.5 \
    --sandbox-workers 1 --no-progress
