"""A few real RL steps of a tiny Llama on addition: in-process, over HTTP, and resumed."""

import importlib.util
import json
from pathlib import Path

import pytest
import torch
import yaml

from mmreward.clients import LocalClient
from mmreward.rl.config import load_config
from mmreward.rl.run import train
from mmreward.rl.trainer import Trainer
from mmreward.settings import Settings

TASK = Path(__file__).resolve().parents[1] / "examples" / "arith" / "task.py"


def _task():
    spec = importlib.util.spec_from_file_location("arith_task", TASK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A tiny untrained policy (hidden 32) and a few prompts, written once for the module."""
    root = tmp_path_factory.mktemp("rl")
    task = _task()
    tokenizer = task.build_tokenizer()
    task.build_model(len(tokenizer), hidden=32).save_pretrained(root / "policy")
    tokenizer.save_pretrained(root / "policy")
    rows = [{"prompt": f"{a}+{a}=", "reference": str(2 * a)} for a in range(10, 30)]
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
        **fields,
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def lines(directory: Path) -> list[dict]:
    return [json.loads(line) for line in (directory / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def client(workdir):
    with LocalClient(Settings(sandbox_workers=1, recipes_dir=workdir / "recipes")) as local:
        yield local


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["grpo", "dapo", "dr_grpo", "ppo"])
def test_each_algorithm_runs_steps_through_local_client(workdir, client, algorithm):
    extra = {"value_pretrain_steps": 1, "mini_batches": 2} if algorithm == "ppo" else {}
    extra["kl_coef"] = 0.05 if algorithm == "grpo" else 0.0
    config = write_config(workdir, algorithm, algorithm=algorithm, **extra)
    out = workdir / f"out-{algorithm}"
    before = {k: v.clone() for k, v in _weights(workdir / "policy").items()}
    curves = train(config, out, progress=False, client=client)
    assert curves.is_file()
    steps = lines(out)
    assert [line["step"] for line in steps] == [0, 1, 2]
    assert "eval/accuracy" in steps[0]
    assert "eval/accuracy" in steps[2]
    for line in steps[1:]:
        for key in (
            "reward/mean",
            "reward/accuracy",
            "response_length",
            "seconds/generation",
            "seconds/reward",
            "seconds/update",
        ):
            assert key in line, key
    assert "entropy" in steps[2]
    assert "clip_frac" in steps[2]
    after = _weights(out / "checkpoint" / "policy")
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert steps[2]["reward/length"] < 0
    if algorithm == "ppo":
        assert steps[1]["policy_updated"] is False  # value pre-training step
        assert steps[2]["policy_updated"] is True
        assert "loss/value" in steps[2]
    if algorithm == "grpo":
        assert steps[2]["kl"] >= 0.0


def _weights(directory: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(directory / "model.safetensors")


@pytest.mark.slow
def test_steps_through_a_live_server(workdir):
    from live_server import LiveServer

    from mmreward.service import create_app

    with LiveServer(
        create_app(Settings(sandbox_workers=1, recipes_dir=workdir / "recipes"))
    ) as url:
        config = write_config(workdir, "http", algorithm="grpo", reward_url=url)
        train(config, workdir / "out-http", progress=False)
    steps = lines(workdir / "out-http")
    assert [line["step"] for line in steps] == [0, 1, 2]
    assert steps[1]["seconds/reward"] > 0


@pytest.mark.slow
def test_resumed_run_continues_the_same_metrics_stream(workdir, client):
    straight = workdir / "straight"
    config = write_config(workdir, "resume", algorithm="ppo", max_steps=4, mini_batches=2)
    Trainer(load_config(config), straight, client).run()

    resumed = workdir / "resumed"
    Trainer(load_config(config, max_steps=2), resumed, client).run()
    # A crash after step 3's line was written but before its checkpoint: the line is dropped
    # and step 3 runs again from the step-2 checkpoint.
    with (resumed / "metrics.jsonl").open("a") as handle:
        handle.write(json.dumps({"step": 3, "reward/mean": -1.0}) + "\n")
    trainer = Trainer(load_config(config), resumed, client)
    assert trainer.step == 2
    trainer.run()

    a, b = lines(straight), lines(resumed)
    assert [line["step"] for line in b] == [0, 1, 2, 3, 4]
    elapsed = [line["elapsed_s"] for line in b]
    assert elapsed == sorted(elapsed)
    for x, y in zip(a, b, strict=True):
        for key in ("reward/mean", "loss/policy", "loss/value", "eval/accuracy", "response_length"):
            if key in x:
                assert y[key] == pytest.approx(x[key], rel=1e-4, abs=1e-6), (x["step"], key)


def test_step_end_tokens_find_the_last_token_of_each_step(workdir):
    from mmreward.rl.policy import load_policy
    from mmreward.rl.trainer import _step_end_tokens

    policy = load_policy(workdir / "policy")
    text = "1+1==22 =4"
    ids = torch.tensor(policy.tokenizer(text, add_special_tokens=False)["input_ids"] + [1])
    # one token per character: steps "1+1" (0-2), "" (skipped), "22 " (5-7), "4" (9);
    # the EOS belongs to none
    assert _step_end_tokens(policy, ids, text, "=") == [2, 7, 9]


@pytest.mark.slow
def test_ppo_with_prm_step_rewards(workdir, client):
    config = write_config(
        workdir, "prm", algorithm="ppo", process_rewards=True, step_separator="=", max_steps=1
    )
    out = workdir / "out-prm"
    trainer = Trainer(load_config(config), out, client)
    rollout = trainer._generate(trainer.train_rows[:3], greedy=False)
    dense = trainer._score(trainer.train_rows[:3], rollout).dense
    assert dense is not None
    assert dense.shape == rollout.response_mask.shape
    assert bool((dense * (1 - rollout.response_mask)).eq(0).all())  # nothing on padding
    for row, text in enumerate(rollout.texts):
        if any(step.strip() for step in text.split("=")):
            assert float(dense[row].abs().sum()) > 0  # the PRM scored its steps
    trainer.run()
    assert lines(out)[-1]["step"] == 1
