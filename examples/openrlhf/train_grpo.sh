#!/usr/bin/env bash
# OpenRLHF 0.11 GRPO with rewards from mmreward. Two ways; pick one `--remote_rm_url`.
set -euo pipefail

# 1. A server. OpenRLHF sends no headers, so a key goes in the URL; the query string also
#    picks the scorer (verifier=math by default, or recipe=NAME). The policy's tokenizer lets
#    the server strip its special tokens and find its assistant marker.
MMREWARD_API_KEY=change-me mmreward serve --port 8000 --api-key change-me \
  --policy-tokenizer /models/Qwen2.5-1.5B-Instruct &
RM_URL="http://127.0.0.1:8000/get_reward?api_key=change-me&recipe=r1v"

# 2. In-process, no server: OpenRLHF loads the file and calls its reward_func.
#    export MMREWARD_ADAPTER_RECIPE=r1v MMREWARD_POLICY_TOKENIZER=/models/Qwen2.5-1.5B-Instruct
#    RM_URL="$(python -c 'import mmreward.clients.openrlhf as m; print(m.__file__)')"

python -m openrlhf.cli.train_ppo_ray \
  --pretrain /models/Qwen2.5-1.5B-Instruct \
  --remote_rm_url "$RM_URL" \
  --prompt_data /data/math.jsonl --input_key question --label_key answer \
  --apply_chat_template \
  --advantage_estimator group_norm --n_samples_per_prompt 8 \
  --max_len 4096 --max_new_tokens 2048 \
  --vllm_num_engines 1 --colocate_all_models
