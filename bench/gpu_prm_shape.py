"""A PRM with Qwen2.5-Math-PRM-1.5B's shape, built from its config with random weights.

    python bench/gpu_prm_shape.py OUT_DIR

No hub is reachable here, so the weights are random: the figure it serves is speed and memory
(sequences/s, tokens/s, peak memory), never scores. The layout is the `token-cls` format
(a token-classification head, the bundled PRM's character tokenizer and separator), so
`bench/prm_batching.py --model OUT_DIR` runs it exactly like the bundled model.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
from transformers import Qwen2Config, Qwen2ForTokenClassification

BUNDLED = Path(__file__).resolve().parent.parent / "mmreward" / "prm" / "model"

# Qwen2.5-Math-1.5B's published config.json (the PRM-1.5B shares its trunk).
QWEN25_MATH_1_5B = {
    "hidden_size": 1536,
    "intermediate_size": 8960,
    "num_hidden_layers": 28,
    "num_attention_heads": 12,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
}


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    config = Qwen2Config(**QWEN25_MATH_1_5B, num_labels=2, pad_token_id=0)
    torch.manual_seed(0)
    model = Qwen2ForTokenClassification(config).to(torch.bfloat16)
    model.save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json", "prm_config.json"):
        shutil.copy(BUNDLED / name, out / name)
    parameters = sum(p.numel() for p in model.parameters())
    print(json.dumps({"dir": str(out), "parameters": parameters}))


if __name__ == "__main__":
    main()
