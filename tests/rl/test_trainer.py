"""A few real RL steps of a tiny Llama on addition: in-process, over HTTP, and resumed."""

import json
from pathlib import Path

import pytest
import torch
from rl_runs import lines, write_config

from mmreward.rl.config import load_config
from mmreward.rl.run import train
from mmreward.rl.trainer import Trainer
from mmreward.settings import Settings


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
    for line in (steps[0], steps[2]):
        assert 0.0 <= line["eval/verifier_accuracy"] <= 1.0
        assert 0.0 <= line["eval/exact_match"] <= line["eval/verifier_accuracy"] + 1e-9
    for line in steps[1:]:
        for key in (
            "reward/mean",
            "reward/accuracy",
            "response_length",
            "seconds/generation",
            "seconds/reward",
            "seconds/update",
            "tokens_per_s",
            "cpu_s",
        ):
            assert key in line, key
        # dynamic sampling keeps nothing, so DAPO runs all 1 + max_refill_rounds (4) rounds
        assert line["samples"] == line["step"] * 6 * (5 if algorithm == "dapo" else 1)
        if algorithm != "ppo":
            assert 0.0 <= line["groups_all_equal_frac"] <= 1.0
    if algorithm != "dapo":  # dynamic sampling keeps no group: an untrained policy is never right
        assert "entropy" in steps[2]
        for key in ("clip_frac", "clip_frac/low", "clip_frac/high"):
            assert key in steps[2]
    written = lines(out, "samples.jsonl")
    evals = [s for s in written if s["split"] == "eval"]
    assert [s["step"] for s in evals] == [0, 0, 2, 2]
    assert {"prompt", "response", "reward", "components", "exact_match"} <= set(evals[0])
    group = [s for s in written if s["split"] == "train" and s["step"] == 1]
    assert len(group) == 3  # one sampled group per step with samples_every 1
    assert set(group[0]["components"]) == {"accuracy", "length"}
    after = _weights(out / "checkpoint" / "policy")
    moved = any(not torch.equal(before[k], after[k]) for k in before)
    assert moved is (algorithm != "dapo")
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
        for key in ("reward/mean", "loss/policy", "loss/value", "eval/verifier_accuracy"):
            if key in x:
                assert y[key] == pytest.approx(x[key], rel=1e-4, abs=1e-6), (x["step"], key)


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
    assert lines(out)[-1]["reward/dense_step_abs"] >= 0.0


def _one_step(workdir, client, name, **fields):
    config = write_config(workdir, name, algorithm="dapo", max_steps=1, **fields)
    out = workdir / f"out-{name}"
    Trainer(load_config(config), out, client).run()
    return lines(out)[1], _weights(out / "checkpoint" / "policy")


@pytest.mark.slow
def test_dapo_clip_higher_changes_the_update(workdir, client):
    """With several updates per rollout batch the ratio leaves 1 and the clip acts, so
    eps_high 0.2 and 0.28 train differently (with one update they could not)."""
    common = {
        "dynamic_sampling": False,  # the untrained policy is never right: keep its groups
        "mini_batches": 2,
        "epochs": 3,
        "learning_rate": 3e-3,
        "seed": 3,
    }
    low, low_weights = _one_step(workdir, client, "clip20", eps_high=0.2, **common)
    high, high_weights = _one_step(workdir, client, "clip28", eps_high=0.28, **common)
    assert low["reward/mean"] == high["reward/mean"]  # the same rollouts
    assert low["clip_frac/high"] > 0
    assert low["clip_frac/low"] > 0
    assert high["clip_frac/high"] < low["clip_frac/high"]  # 0.2 < ratio <= 0.28: clipped in one
    assert any(not torch.equal(low_weights[k], high_weights[k]) for k in low_weights)


@pytest.mark.slow
def test_dynamic_sampling_filters_on_accuracy_not_the_total_reward(workdir, client):
    # The untrained policy is never right; its groups differ only in the length penalty.
    line, weights = _one_step(workdir, client, "filter", max_refill_rounds=1)
    assert line["groups_sampled"] == 4
    assert line["groups_kept"] == 0
    assert line["groups_all_equal_frac"] < 1.0  # the total reward varied
    assert "policy_updated" not in line
    before = _weights(workdir / "policy")
    assert all(torch.equal(before[k], weights[k]) for k in before)


@pytest.mark.slow
def test_signed_correctness_counts_a_wrong_answer_minus_one(workdir, client):
    binary = Trainer(
        load_config(write_config(workdir, "bin", algorithm="dapo")), workdir / "b", client
    )
    signed = Trainer(
        load_config(write_config(workdir, "sgn", algorithm="dapo", correct_reward="signed")),
        workdir / "s",
        client,
    )
    rows = binary.train_rows[:4]
    rollout = binary._generate(rows, greedy=True)
    plain, shifted = binary._score(rows, rollout), signed._score(rows, rollout)
    assert plain.accuracy == shifted.accuracy == [0.0] * 4
    assert shifted.rewards.tolist() == pytest.approx((plain.rewards - 1.0).tolist())
    assert shifted.components == plain.components


@pytest.mark.slow
def test_warmup_counts_training_steps_not_optimiser_steps(workdir, client):
    config = write_config(
        workdir, "warm", algorithm="grpo", mini_batches=2, warmup_steps=4, learning_rate=1e-3
    )
    Trainer(load_config(config), workdir / "out-warm", client).run()
    assert [line["lr"] for line in lines(workdir / "out-warm")[1:]] == pytest.approx([2.5e-4, 5e-4])


@pytest.mark.slow
def test_rerunning_a_finished_run_says_where_its_results_are(workdir, client):
    config = write_config(workdir, "again", algorithm="grpo", tensorboard=True)
    out = workdir / "out-again"
    said: list[str] = []
    train(config, out, progress=False, client=client, say=said.append)
    assert "step 2" in said[-1]
    assert "eval/exact_match mean of the last 2 evaluations" in said[-1]  # steps 0, 2
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    before = (out / "metrics.jsonl").read_text()
    said.clear()
    train(config, out, progress=False, client=client, say=said.append)
    assert "already trained to its budget (2 steps)" in said[0]
    assert str(out / "metrics.jsonl") in said[1]
    assert str(out / "samples.jsonl") in said[1]
    assert (out / "metrics.jsonl").read_text() == before
