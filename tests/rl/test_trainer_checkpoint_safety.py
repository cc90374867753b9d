"""The training loop's checkpoint survives a crash between its renames, loads only tensors and
plain values, and a torn metrics line does not stop a resume."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from rl_runs import lines, write_config

from mmreward.rl.config import load_config
from mmreward.rl.trainer import Trainer

pytestmark = pytest.mark.slow  # two short training runs


@pytest.fixture(scope="module")
def trained(workdir, client):
    config = write_config(workdir, "safety", algorithm="grpo", max_steps=2)
    out = workdir / "safety-out"
    Trainer(load_config(config), out, client).run()
    assert (out / "checkpoint" / "state.pt").is_file()
    return config, out


def test_a_crash_between_the_checkpoint_renames_resumes_from_the_previous_one(
    trained,
    tmp_path,
    client,
):
    config, out = trained
    crashed = tmp_path / "crashed"
    shutil.copytree(out, crashed)
    # save_checkpoint renamed checkpoint -> checkpoint.old, then died before tmp -> checkpoint
    (crashed / "checkpoint").rename(crashed / "checkpoint.old")
    (crashed / "checkpoint.tmp").mkdir()
    with (crashed / "metrics.jsonl").open("a") as handle:
        handle.write('{"step": 3, "reward/me')  # a line torn by the same crash
    trainer = Trainer(load_config(config, max_steps=3), crashed, client)
    assert trainer.step == 2  # not 0: the good checkpoint is back under its name
    assert (crashed / "checkpoint" / "state.pt").is_file()
    trainer.run()
    assert [line["step"] for line in lines(crashed)] == [0, 1, 2, 3]


class Planted:
    def __reduce__(self):
        return (print, ("code ran while loading a checkpoint",))


def test_a_checkpoint_holding_code_is_refused_not_run(trained, tmp_path, client):
    config, out = trained
    planted = tmp_path / "planted"
    shutil.copytree(out, planted)
    state = torch.load(planted / "checkpoint" / "state.pt", weights_only=True)
    state["evaluations"] = [Planted()]
    torch.save(state, planted / "checkpoint" / "state.pt")
    with pytest.raises(ValueError, match="holds objects other than tensors and plain values"):
        Trainer(load_config(config), planted, client)
    assert json.loads((planted / "metrics.jsonl").read_text().splitlines()[-1])["step"] == 2
