#!/usr/bin/env bash
# The GPU figures in one command, for a machine with one CUDA device (a few minutes):
#   bash bench/gpu.sh [OUT_DIR]
# 1. the bundled 8-layer PRM and a PRM of Qwen2.5-Math-PRM-1.5B's shape (random weights,
#    bf16): one forward per request against token-budget batching, in one run each
#    (seq/s; tokens/s and peak memory are printed beside the table);
# 2. the detector, one image per call against batches of 32, and over HTTP;
# 3. the arith GRPO run on the GPU for 60 steps (samples/s in metrics.jsonl).
# Each step writes its own log under OUT_DIR; a failing step does not stop the next.
set -u
OUT=${1:-runs/gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
$PY -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))' >> "$OUT/gpu.txt" 2>&1
timeout 300 $PY bench/prm_batching.py --device cuda --requests 1000 --repeats 2 --no-compile \
  > "$OUT/prm_bundled.txt" 2>&1
timeout 120 $PY bench/gpu_prm_shape.py "$OUT/qwen-prm-1.5b-shape" > "$OUT/prm_qwen_shape_build.txt" 2>&1
timeout 420 $PY bench/prm_batching.py --device cuda --model "$OUT/qwen-prm-1.5b-shape" \
  --requests 500 --repeats 1 --no-compile > "$OUT/prm_qwen_shape.txt" 2>&1
timeout 240 $PY bench/grounding.py --device cuda --images 256 > "$OUT/grounding.txt" 2>&1
timeout 300 $PY -m mmreward.cli train --config examples/arith/grpo.yaml \
  --output-dir "$OUT/arith_grpo" --set device=cuda --set max_steps=60 \
  --no-progress > "$OUT/arith_grpo.txt" 2>&1
tail -n 30 "$OUT"/*.txt
