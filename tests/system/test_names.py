"""A misspelled name fails where it is written, naming the known ones (and the closest), never
as a column of zero rewards: one test per door (adapters, recipes, /get_reward, relabel, the
training config, the CLI)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from fastapi.testclient import TestClient

from mmreward import LocalClient
from mmreward.cli import main
from mmreward.clients import easyr1, openrlhf, verl
from mmreward.clients.adapters import (
    compute_score,
    compute_score_sync,
    trl_component_funcs,
    trl_reward_func,
)
from mmreward.errors import InvalidInputError, NotFoundError, UnknownVerifierError
from mmreward.recipes import parse_recipe
from mmreward.service import create_app
from mmreward.settings import Settings

MATHS = r"unknown verifier 'maths' \(did you mean 'math'\?\); known: chart, choice, format, math"


@pytest.fixture(scope="module")
def local():
    with LocalClient(Settings(sandbox_workers=1)) as client:
        yield client


def test_trl_refuses_an_unknown_verifier_setting_or_recipe_when_built(local):
    with pytest.raises(UnknownVerifierError, match=MATHS):
        trl_reward_func(local, verifier="maths")
    with pytest.raises(
        InvalidInputError, match=r"unknown chart setting 'tolerence' \(did you mean"
    ):
        trl_reward_func(local, verifier="chart", tolerence=0.02)
    with pytest.raises(NotFoundError, match=r"unknown recipe 'r1' \(did you mean 'r1v'"):
        trl_component_funcs(local, "r1", ["accuracy"])
    assert trl_reward_func(local, verifier="chart", tolerance=0.02)(
        ["q"], ["\\boxed{101}"], solution=["100"]
    ) == [1.0]


def test_verl_refuses_a_misspelled_reward_kwarg_before_scoring(local):
    with pytest.raises(UnknownVerifierError, match=MATHS):
        asyncio.run(compute_score("d", "\\boxed{4}", "4", client=local, verifier="maths"))
    with pytest.raises(InvalidInputError, match="unknown chart setting 'tolerence'"):
        verl.compute_score_batch(
            ["d"], ["\\boxed{4}"], ["4"], client=local, verifier="chart", tolerence=0.1
        )


def test_verl_a_samples_unknown_verifier_is_an_error_item_logged_once(local, caplog):
    info = {"verifier": "multiple_choice"}
    with caplog.at_level(logging.WARNING, logger="mmreward.clients.verl"):
        results = verl.compute_score_batch(
            ["d"] * 3,
            ["(B)", "\\boxed{4}", "(A)"],
            ["B", "4", "A"],
            [info, {}, info],
            client=local,
        )
        again = compute_score_sync("d", "(B)", "B", info, client=local)
        later = asyncio.run(compute_score("d", "(A)", "A", info, client=local))
    assert [r["status"] for r in results] == ["error", "ok", "error"]
    assert [r["score"] for r in results] == [0.0, 1.0, 0.0]
    assert (again["status"], again["score"]) == ("error", 0.0)
    assert (later["status"], later["score"]) == ("error", 0.0)
    warnings = [r.getMessage() for r in caplog.records if "multiple_choice" in r.getMessage()]
    assert len(warnings) == 1  # once per name, however many samples and calls
    assert "known: chart, choice, format, math" in warnings[0]


def test_openrlhf_and_easyr1_refuse_a_misspelled_verifier(local, monkeypatch):
    monkeypatch.setattr(openrlhf, "shared_client", lambda: local)
    monkeypatch.setenv("MMREWARD_ADAPTER_VERIFIER", "maths")
    with pytest.raises(UnknownVerifierError, match=MATHS):
        openrlhf.reward_func(["Q \\boxed{4}"], ["Q "], ["4"])
    with pytest.raises(UnknownVerifierError, match=MATHS):
        easyr1.compute_score(
            [{"response": "\\boxed{4}", "ground_truth": "4"}], verifier="maths", client=local
        )


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        (
            {
                "components": [
                    {"kind": "accuracy", "params": {"verifier": "chart", "tolerence": 0.02}}
                ]
            },
            "component 'accuracy' (accuracy): unknown chart setting 'tolerence' "
            "(did you mean 'tolerance'?); known: aliases, tolerance",
        ),
        (
            {"components": [{"kind": "acuracy"}]},
            "unknown component kind 'acuracy' (did you mean 'accuracy'?)",
        ),
        (
            {"components": [{"kind": "accuracy", "params": {"verifier": "maths"}}]},
            "unknown verifier 'maths' (did you mean 'math'?)",
        ),
        (
            {"components": [{"kind": "format", "params": {"spce": "think_answer"}}]},
            "unknown setting 'spce' (did you mean 'spec'?); known: spec, think_opened",
        ),
        (
            {"components": [{"kind": "format", "wieght": 2}]},
            "unknown component key 'wieght' (did you mean 'weight'?)",
        ),
    ],
)
def test_a_recipe_with_a_misspelled_name_is_refused_when_loaded(recipe, message):
    with pytest.raises(InvalidInputError) as refused:
        parse_recipe({"name": "typo", **recipe})
    assert message in str(refused.value)


def test_serve_refuses_a_misspelled_recipe_file_in_one_line(tmp_path, capsys):
    (tmp_path / "geo.yaml").write_text("name: geo\ncomponents:\n  - {kind: acuracy}\n")
    assert main(["serve", "--recipes-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "geo.yaml: unknown component kind 'acuracy' (did you mean 'accuracy'?)" in err
    assert main(["serve", "--get-reward-default", "verifier:maths"]) == 2
    assert "unknown verifier 'maths'" in capsys.readouterr().err


BODY = {"query": ["Q \\boxed{4}"], "prompts": ["Q "], "labels": ["4"]}


def test_get_reward_names_exactly_one_known_scorer(local):
    with TestClient(create_app(engine=local.engine)) as http:
        typo = http.post("/get_reward?verifier=maths", json=BODY)
        assert typo.status_code == 422
        assert "did you mean 'math'" in typo.json()["detail"]
        assert http.post("/get_reward?recipe=r1", json=BODY).status_code == 404
        neither = http.post("/get_reward", json=BODY)
        assert neither.status_code == 422
        assert "verifier=NAME or recipe=NAME" in neither.json()["detail"]
        both = http.post("/get_reward?verifier=math&recipe=math", json=BODY)
        assert both.status_code == 422
        assert http.post("/get_reward?verifier=math", json=BODY).json()["rewards"] == [1.0]
        assert http.post("/get_reward?recipe=math", json=BODY).json()["rewards"] == [1.0]


def test_get_reward_scores_with_the_servers_default_when_the_url_names_none(local):
    settings = Settings(get_reward_default="recipe:math")
    with TestClient(create_app(settings, engine=local.engine)) as http:
        assert http.post("/get_reward", json=BODY).json()["rewards"] == [1.0]
    with (
        pytest.raises(NotFoundError, match="unknown recipe 'mathh'"),
        TestClient(create_app(Settings(get_reward_default="recipe:mathh"), engine=local.engine)),
    ):
        pass


def test_relabel_refuses_a_misspelled_verifier_setting_before_any_work(tmp_path, capsys):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"response": "\\boxed{4}", "reference": "4"}) + "\n")
    common = [str(source), str(target), "--sandbox-workers", "1", "--no-progress"]
    assert main(["relabel", *common, "--verifier", "chart", "--param", "tolerence=0.1"]) == 2
    assert (
        "unknown chart setting 'tolerence' (did you mean 'tolerance'?)" in capsys.readouterr().err
    )
    assert main(["relabel", *common, "--verifier", "maths"]) == 2
    assert "did you mean 'math'" in capsys.readouterr().err
    assert not target.exists()


def test_train_refuses_a_misspelled_recipe_or_field_before_step_one(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    out = tmp_path / "run"
    for text, message in [
        ("recipe: mathh\n", "unknown recipe 'mathh' (did you mean 'math'?)"),
        ("lerning_rate: 0.1\n", "unknown config field 'lerning_rate' (did you mean"),
    ]:
        config.write_text(text)
        argv = ["train", "--config", str(config), "--output-dir", str(out), "--no-progress"]
        assert main([*argv, "--sandbox-workers", "1"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert message in err
    assert not out.exists()


@pytest.mark.slow  # each command imports its models' stack (torch, transformers, ultralytics)
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prm", "eval", "--data", "{missing}"], "does not exist"),
        (["prm", "eval", "--data", "{notjson}"], ":1: not JSON"),
        (["prm", "train", "--data", "{missing}", "--out", "{out}", "--steps", "1"], "exist"),
        (["train", "--config", "{missing}", "--output-dir", "{out}"], "does not exist"),
        (["relabel", "{missing}", "{out}", "--verifier", "math"], "does not exist"),
        (["grounding", "evaluate", "--detector", "{missing}"], "does not exist"),
        (["serve", "--api-keys-file", "{missing}"], "cannot be read"),
    ],
)
def test_every_command_turns_a_bad_configuration_into_one_line_and_status_2(
    tmp_path, capsys, argv, message
):
    (tmp_path / "notjson.jsonl").write_text("not json\n")
    paths = {
        "missing": tmp_path / "missing.jsonl",
        "notjson": tmp_path / "notjson.jsonl",
        "out": tmp_path / "out",
    }
    assert main([arg.format(**paths) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"mmreward {argv[0]}")
    assert message in err
