"""A training config's values are read as their fields' types, or refused with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmreward.errors import InvalidInputError
from mmreward.rl.config import load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_learning_rate_written_without_a_dot_is_a_number(tmp_path: Path) -> None:
    # YAML 1.1 reads `1e-4` as the string "1e-4"; the optimiser would fail on it much later.
    config = load_config(write(tmp_path, "learning_rate: 1e-4\nmax_steps: 10\n"))
    assert config.learning_rate == pytest.approx(1e-4)
    assert isinstance(config.learning_rate, float)
    assert load_config(write(tmp_path, "max_steps: 10\n"), learning_rate="2e-4").learning_rate == (
        pytest.approx(2e-4)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_steps: ten\n", r"run\.yaml: max_steps .*integer.*not 'ten'"),
        ("algorithm: grop\n", r"run\.yaml: algorithm must be one of grpo, dapo, dr_grpo or ppo"),
        ("eps_high: high\nmax_steps: 1\n", r"run\.yaml: eps_high .*number.*not 'high'"),
        ("process_rewards: maybe\nmax_steps: 1\n", r"run\.yaml: process_rewards .*boolean"),
        ("correct_reward: 1\nmax_steps: 1\n", r"correct_reward must be binary or signed, not 1"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_its_field(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        load_config(write(tmp_path, text))


def test_a_wrong_override_is_blamed_on_set(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"^--set: learning_rate .*not 'fast'"):
        load_config(write(tmp_path, "max_steps: 10\n"), learning_rate="fast")
