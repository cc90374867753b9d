#!/usr/bin/env bash
# OpenRLHF 0.11 GRPO with rewards from mmreward. Two ways; pick one `--reward.remote_url`.
set -euo pipefail

# 1. A server. OpenRLHF sends no headers, so a key goes in the URL; the query string also
#    picks the scorer (verifier=math by default, or recipe=NAME). The policy's tokenizer lets
#    the server strip its special tokens, find its assistant marker and tell cut responses.
mmreward serve --port 8000 --api-key change-me --policy-tokenizer /models/Qwen2.5-1.5B-Instruct &
RM_URL="http://127.0.0.1:8000/get_reward?api_key=change-me&recipe=r1v"

# 2. In-process, no server: OpenRLHF loads the file and calls its reward_func.
#    export MMREWARD_ADAPTER_RECIPE=r1v MMREWARD_POLICY_TOKENIZER=/models/Qwen2.5-1.5B-Instruct
#    RM_URL="$(python -c 'import mmreward.clients.openrlhf as m; print(m.__file__)')"

python -m openrlhf.cli.train_ppo_ray \
  --actor.model_name_or_path /models/Qwen2.5-1.5B-Instruct \
  --reward.remote_url "$RM_URL" \
  --data.prompt_dataset /data/math.jsonl --data.input_key question --data.label_key answer \
  --data.apply_chat_template \
  --algo.advantage.estimator group_norm --rollout.n_samples_per_prompt 8 \
  --data.max_len 4096 --rollout.max_new_tokens 2048 \
  --vllm.num_engines 1 --train.colocate_all
