"""Dynamic sampling, prompt ordering and the config file."""

from collections import Counter

import pytest
import torch

from mmreward.errors import InvalidInputError
from mmreward.rl.config import RLConfig, load_config
from mmreward.rl.curriculum import PromptPool
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
        ("lerning_rate: 0.1\n", "unknown config fields: lerning_rate"),
        ("algorithm: grpo\nprocess_rewards: true\n", "needs a critic"),
        ("algorithm: grpo\ngroup_size: 1\n", "group_size >= 2"),
        ("- a list\n", "mapping"),
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
