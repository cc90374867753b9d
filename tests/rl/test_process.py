"""Process rewards: the bundled PRM's step scores as dense per-token rewards, on the chains task
(the PRM's own domain), through the real tokenizer, PRM and training loop."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch
import yaml

from mmreward.clients import LocalClient
from mmreward.errors import InvalidInputError
from mmreward.rl.hooks import load_eval_hook
from mmreward.rl.process import dense_rewards, prm_steps, split_steps, step_end_tokens
from mmreward.rl.run import train
from mmreward.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "Compute: 7 * 3 + 11 - 4"
RIGHT = "7 * 3 = 21\n21 + 11 = 32\n32 - 4 = 28\nThe answer is \\boxed{28}."
# The second step is wrong (21 + 11 = 33); the later steps carry the mistake on consistently.
WRONG = "7 * 3 = 21\n21 + 11 = 33\n33 - 4 = 29\nThe answer is \\boxed{29}."


def _chains_task():
    spec = importlib.util.spec_from_file_location("chains_task", ROOT / "examples/chains/task.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def client():
    with LocalClient(Settings(sandbox_workers=1)) as local:
        yield local


def test_steps_split_at_the_separator_and_the_answer_box_is_unwrapped_for_the_prm():
    steps = split_steps("1 + 2 = 3\n\n3 * 4 = 12\nThe answer is \\boxed{12}.", "\n")
    assert [s for s, _ in steps] == ["1 + 2 = 3", "3 * 4 = 12", "The answer is \\boxed{12}."]
    assert [end for _, end in steps] == [9, 21, 47]
    assert prm_steps([s for s, _ in steps])[-1] == "The answer is 12."


def test_step_end_tokens_are_the_tokens_covering_each_steps_last_character():
    tokenizer = _chains_task().build_tokenizer()
    ids = tokenizer(RIGHT, add_special_tokens=False)["input_ids"]
    ends = step_end_tokens(
        lambda t: tokenizer.decode(t), ids, [e for _, e in split_steps(RIGHT, "\n")]
    )
    assert [tokenizer.decode(ids[: e + 1]).split("\n")[-1] for e in ends] == RIGHT.split("\n")


def test_a_wrong_step_lowers_the_dense_reward_of_exactly_its_own_end_token(client):
    tokenizer = _chains_task().build_tokenizer()
    encoded = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in (RIGHT, WRONG)]
    width = max(map(len, encoded))
    ids = torch.tensor([row + [0] * (width - len(row)) for row in encoded])
    dense = dense_rewards(
        client, [PROBLEM, PROBLEM], [RIGHT, WRONG], ids, lambda t: tokenizer.decode(t)
    )
    right, wrong = dense.rewards
    assert dense.steps == [4, 4]
    ends = step_end_tokens(
        lambda t: tokenizer.decode(t), encoded[1], [e for _, e in split_steps(WRONG, "\n")]
    )
    second = ends[1]
    # Rewards sit only on step-end tokens.
    off_ends = [t for t in range(width) if t not in ends]
    assert bool(right[off_ends].eq(0).all())
    assert bool(wrong[off_ends].eq(0).all())
    # The correct chain: every step near 1, so its rewards sum to ~1 (boxed answer included).
    assert float(right.sum()) > 0.9
    # Before the wrong step nothing changes: same tokens, same rewards.
    assert torch.equal(right[:second], wrong[:second])
    # The wrong step's own end token carries the drop (score ~1 -> ~0) ...
    assert float(wrong[second]) < -0.9
    assert float(right[second]) > -0.05
    # ... and no later token is pushed further down: the chain's total is its last score, ~0.
    assert all(abs(float(wrong[t])) < 0.05 for t in ends[2:])
    assert abs(float(wrong.sum())) < 0.05


@pytest.mark.slow
def test_ppo_with_process_rewards_logs_the_dense_reward_and_evaluation_skips_the_prm(tmp_path):
    task = _chains_task()
    sys.modules.setdefault("chains_task_for_hook", task)
    tokenizer = task.build_tokenizer()
    task.build_model(len(tokenizer), hidden=32, layers=1).save_pretrained(tmp_path / "policy")
    tokenizer.save_pretrained(tmp_path / "policy")
    task.write_data(tmp_path / "data", n_train=20)
    config = {
        "algorithm": "ppo",
        "policy": "policy",
        "train_data": "data/train.jsonl",
        "eval_data": "data/eval.jsonl",
        "eval_size": 4,
        "recipe": "math",
        "process_rewards": True,
        "eval_hook": "chains_task_for_hook:check_responses",
        "prompts_per_step": 4,
        "generation_batch": 4,
        "max_new_tokens": 24,
        "micro_batch_size": 4,
        "max_steps": 2,
        "eval_every": 2,
        "warmup_steps": 0,
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))

    class Counting(LocalClient):
        prm_items = 0

        def prm_score(self, items, *args, **kwargs):
            Counting.prm_items += len(items)
            return super().prm_score(items, *args, **kwargs)

    with Counting(Settings(sandbox_workers=1)) as counting:
        train(tmp_path / "run.yaml", tmp_path / "out", progress=False, client=counting)
    lines = [json.loads(x) for x in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 1, 2]
    for line in lines[1:]:
        logged = {"reward/outcome", "reward/dense", "reward/dense_step_abs", "seconds/prm"}
        assert logged <= set(line)
        assert line["reward/dense_steps"] > 0
    for line in (lines[0], lines[2]):
        assert {"eval/exact_match", "eval/wrong_step_rate", "eval/steps_written"} <= set(line)
        assert "eval/dense" not in line
    # Only the training samples went to the PRM (2 steps x 4), none of the evaluations'.
    assert Counting.prm_items <= 8


@pytest.mark.parametrize(
    "spec", ["examples.chains.task", "examples.chains.task:nope", "no_such_module_xyz:f"]
)
def test_a_misspelled_eval_hook_fails_where_it_is_named(spec):
    with pytest.raises(InvalidInputError, match="eval_hook"):
        load_eval_hook(spec)
