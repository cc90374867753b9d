"""Dynamic sampling, prompt ordering and the config file."""

from collections import Counter

import pytest
import torch

from mmreward.errors import InvalidInputError
from mmreward.rl.budget import Budget, Spent
from mmreward.rl.config import RLConfig, load_config
from mmreward.rl.curriculum import PromptPool
from mmreward.rl.results import exact_match, summarise
from mmreward.rl.sampling import fill_batch, varied_groups


def test_varied_groups_drops_all_equal_groups():
    rewards = torch.tensor([[1.0, 1.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.2]])
    assert varied_groups(rewards).tolist() == [False, True, False, True]


def test_fill_batch_cuts_to_the_wanted_size():
    assert fill_batch([3, 5, 8], 2) == ([3, 5], True)
    assert fill_batch([3], 2) == ([3], False)


def test_uniform_order_visits_every_prompt_once_per_epoch():
    pool = PromptPool(10, "uniform", seed=0)
    first, second = pool.sample(10, 0.0), pool.sample(10, 0.0)
    assert sorted(first) == sorted(second) == list(range(10))


def test_curriculum_opens_easiest_prompts_first_then_all():
    pool = PromptPool(
        4, "curriculum", seed=0, pass_rates=[0.9, 0.1, 0.5, 0.2], curriculum_start=0.5
    )
    assert set(pool.sample(200, progress=0.0)) == {0, 2}  # the two highest pass rates
    assert set(pool.sample(400, progress=1.0)) == {0, 1, 2, 3}


def test_prioritized_sampling_prefers_prompts_whose_rewards_vary():
    pool = PromptPool(3, "prioritized", seed=0, pass_rates=[1.0, 0.5, 0.0])
    counts = Counter(pool.sample(1000, 0.0))
    # weights p(1 - p) + 0.01: 0.01, 0.26, 0.01 -> about 93% of draws go to prompt 1
    assert counts[1] > 880
    assert counts[0] > 0  # solved and hopeless prompts are still revisited
    assert counts[2] > 0


def test_online_pass_rate_and_state_round_trip():
    pool = PromptPool(2, "prioritized", seed=3)
    pool.update(0, 1.0)  # 0.5 * 0.5 + 0.5 * 1.0
    assert pool.pass_rate[0] == pytest.approx(0.75)
    clone = PromptPool(2, "prioritized", seed=99)
    clone.load_state_dict(pool.state_dict())
    assert clone.sample(20, 0.0) == pool.sample(20, 0.0)


def test_algorithm_defaults_and_file_overrides(tmp_path):
    assert RLConfig(algorithm="dapo").clip_high == 0.28
    assert RLConfig(algorithm="dapo").dynamic_sampling is True
    assert RLConfig(algorithm="dr_grpo").scale_rewards == "none"
    assert RLConfig(algorithm="dr_grpo").loss_agg == "seq-mean-token-sum-norm"
    assert RLConfig(algorithm="grpo").loss_agg == "seq-mean-token-mean"
    assert RLConfig(algorithm="ppo").group_size == 1
    path = tmp_path / "run.yaml"
    path.write_text("algorithm: dapo\neps_high: 0.3\ntrain_data: data.jsonl\n")
    config = load_config(path, seed=4)
    assert (config.clip_high, config.seed, config.loss_agg) == (0.3, 4, "token-mean")
    assert config.path(config.train_data) == tmp_path / "data.jsonl"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("algorithm: reinforce\n", "algorithm must be one of"),
        (
            "lerning_rate: 0.1\n",
            r"unknown config field 'lerning_rate' \(did you mean 'learning_rate'",
        ),
        ("algorithm: grpo\nprocess_rewards: true\n", "needs a critic"),
        ("algorithm: grpo\ngroup_size: 1\n", "group_size >= 2"),
        ("- a list\n", "mapping"),
        ("max_steps: 0\n", "set a budget"),
        ("mini_batches: 0\n", "mini_batches and epochs"),
        ("correct_reward: plusminus\n", "binary or signed"),
    ],
)
def test_bad_configs_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message):
        load_config(path)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_an_unknown_override_is_blamed_on_set_not_the_file(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("algorithm: grpo\n")
    with pytest.raises(InvalidInputError, match=r"^--set: unknown config field 'time_budget'"):
        load_config(path, time_budget=600)
    path.write_text("algorithm: grpo\ntime_budget: 600\n")
    with pytest.raises(InvalidInputError, match=r"run.yaml: unknown config field 'time_budget'"):
        load_config(path, seed=1)


def test_budgets_in_steps_samples_or_seconds():
    steps = Budget(steps=10, samples=0, seconds=0.0)
    assert not steps.reached(Spent(9, 10**6, 10**6))
    assert steps.reached(Spent(10, 0, 0.0))
    assert (steps.unit, steps.total, steps.position(Spent(4, 99, 1.0))) == ("step", 10.0, 4.0)
    assert steps.progress(Spent(5, 0, 0.0)) == 0.5
    both = Budget(steps=100, samples=1000, seconds=0.0)
    assert both.reached(Spent(3, 1000, 0.0))  # whichever comes first
    assert (both.unit, both.total) == ("sample", 1000.0)
    assert both.progress(Spent(50, 900, 0.0)) == 0.9
    assert both.describe() == "100 steps or 1000 samples"
    timed = Budget(steps=0, samples=0, seconds=60.0, clock="cpu")
    assert (timed.unit, timed.describe()) == ("cpu-s", "60 cpu-s")
    assert timed.reached(Spent(1, 1, 60.0))
    assert not timed.reached(Spent(10**6, 10**6, 59.0))


def test_exact_match_takes_only_the_expected_text():
    assert exact_match("\\boxed{85}", False, "\\boxed{85}")
    for response in ("\\boxed{37+48}", "\\boxed{80+5}", "85", "\\boxed{85", " \\boxed{85}"):
        assert not exact_match(response, False, "\\boxed{85}"), response
    assert not exact_match("\\boxed{85}", True, "\\boxed{85}")  # cut at the length limit


def test_summary_reports_the_last_k_mean_not_the_peak():
    lines = [
        {"step": 0, "eval/exact_match": 0.2, "eval/verifier_accuracy": 0.3},
        {"step": 10, "eval/exact_match": 0.9},
        {"step": 20, "eval/exact_match": 0.5},
        {"step": 30, "eval/exact_match": 0.4},
        {"step": 40, "eval/exact_match": 0.6, "samples": 80, "wall_s": 6.0, "cpu_s": 3.0},
    ]
    s = summarise(lines, k=3)
    assert s is not None
    assert s.metric == "eval/exact_match"
    assert (s.start, s.end, s.steps, s.samples) == (0.2, 0.6, 40, 80)
    assert s.last_k == pytest.approx(0.5)
    assert s.gain == pytest.approx(0.3)
    assert s.half == 0.5  # the evaluation at step 20 of 40
    assert summarise([{"step": 0}]) is None
    verifier = summarise(lines, k=3, metric="eval/verifier_accuracy")
    assert verifier is not None
    assert (verifier.last_k, verifier.k) == (0.3, 1)
    assert summarise(lines, metric="eval/nothing") is None
