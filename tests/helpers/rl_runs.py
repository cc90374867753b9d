"""The tiny arithmetic RL setup the training-loop tests share: a policy, prompts, a recipe
(`make_workdir`), run configs and their metrics lines."""

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

TASK = Path(__file__).resolve().parents[2] / "examples" / "arith" / "task.py"


def arith_task():
    spec = importlib.util.spec_from_file_location("arith_task", TASK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_config(root: Path, name: str, **fields) -> Path:
    config = {
        "policy": "policy",
        "recipe": "sum_len",
        "recipes_dir": "recipes",
        "train_data": "train.jsonl",
        "eval_data": "eval.jsonl",
        "prompts_per_step": 2,
        "group_size": 3,
        "generation_batch": 4,
        "max_new_tokens": 6,
        "micro_batch_size": 4,
        "eval_every": 2,
        "checkpoint_every": 2,
        "max_steps": 2,
        "warmup_steps": 0,
        "exact_match_column": "target",
        "samples_per_eval": 2,
        "samples_every": 1,
        **fields,
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def lines(directory: Path, name: str = "metrics.jsonl") -> list[dict]:
    return [json.loads(line) for line in (directory / name).read_text().splitlines()]


def make_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained policy (hidden 32) and a few prompts, written once for the module."""
    root = tmp_path_factory.mktemp("rl")
    task = arith_task()
    tokenizer = task.build_tokenizer()
    task.build_model(len(tokenizer), hidden=32).save_pretrained(root / "policy")
    tokenizer.save_pretrained(root / "policy")
    rows = [
        {"prompt": f"{a}+{a}=", "reference": str(2 * a), "target": f"\\boxed{{{2 * a}}}"}
        for a in range(10, 30)
    ]
    (root / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:6]))
    # An untrained policy is never right; the overlong ramp over 2..6 tokens gives its groups
    # rewards that differ, so every algorithm has a gradient.
    (root / "recipes").mkdir()
    (root / "recipes" / "sum_len.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "sum_len",
                "components": [
                    {"kind": "accuracy", "params": {"verifier": "math"}},
                    {"kind": "length", "params": {"max_len": 6, "cache_len": 4}},
                ],
            }
        )
    )
    return root
