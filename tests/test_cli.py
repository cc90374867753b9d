"""The command line: flags generated from `Settings`, and each subcommand's happy and error path.

Everything runs the real parser and the real handlers; `serve` runs as a real server process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from live_server import free_port

from mmreward.cli import build_parser, main
from mmreward.cli_flags import add_settings_arguments, flag_name, settings_from_args
from mmreward.settings import Settings


def _settings(*argv: str) -> Settings:
    parser = argparse.ArgumentParser()
    add_settings_arguments(parser)
    return settings_from_args(parser.parse_args(list(argv)))


def _serve_help() -> str:
    return build_parser()._subparsers._group_actions[0].choices["serve"].format_help()  # type: ignore[union-attr]


def test_every_setting_has_a_flag_with_its_description():
    text = _serve_help()
    for name, field in Settings.model_fields.items():
        assert flag_name(name) in text, name
        assert field.description, f"{name} has no description for --help"
    assert "{true,false}" in text
    assert "{auto,cpu,cuda}" in text


def test_flags_parse_to_typed_settings():
    settings = _settings(
        "--workers",
        "3",
        "--sandbox-timeout-s",
        "1.5",
        "--preload-models",
        "false",
        "--compile-models",
        "true",
        "--device",
        "cpu",
        "--prm-model",
        "/models/prm",
        "--api-key",
        "s3cret",
        "--max-batch-tokens",
        "4096",
    )
    assert settings.workers == 3
    assert settings.sandbox_timeout_s == 1.5
    assert settings.preload_models is False
    assert settings.compile_models is True
    assert settings.device == "cpu"
    assert settings.prm_model == Path("/models/prm")
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "s3cret"
    assert settings.max_batch_tokens == 4096
    assert _settings("--recipes", "/recipes").recipes_dir == Path("/recipes")  # the short name


def test_unset_flags_leave_the_environment_in_charge(monkeypatch):
    monkeypatch.setenv("MMREWARD_MAX_ITEMS", "7")
    assert _settings().max_items == 7
    assert _settings("--max-items", "9").max_items == 9


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--device", "gpu"], "argument --device"),
        (["serve", "--workers", "0"], "greater than or equal to 1"),
        (["serve", "--compile-models", "maybe"], "valid boolean"),
        (["serve", "--port", "http"], "argument --port"),
        (["verify", "--response", "x", "--reference", "y", "--options", "a,b"], "JSON list"),
        (["verify", "--response", "x", "--reference", "y", "--verifier", "nope"], "known: "),
        (["serve", "--no-such-flag"], "unrecognized arguments"),
        (["train", "--config", "c.yaml", "--output-dir", "o", "--device", "gpu"], "--device"),
        (["relabel", "in.jsonl", "out.jsonl", "--sandbox-memory-mb", "1"], "--sandbox-memory-mb"),
        (["relabel", "in.jsonl", "out.jsonl", "--verifier", "math", "--port", "1"], "--port"),
        (["train", "--config", "c.yaml", "--output-dir", "o", "--api-key", "k"], "--api-key"),
        (["nope"], "invalid choice"),
    ],
)
def test_bad_arguments_are_one_clear_line_and_status_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err  # no page of usage in front of the message
    assert err.startswith("mmreward")
    assert "--help" in err


def _help(command: str) -> str:
    return build_parser()._subparsers._group_actions[0].choices[command].format_help()  # type: ignore[union-attr]


@pytest.mark.parametrize("command", ["relabel", "train"])
def test_commands_with_their_own_engine_list_only_their_flags(command):
    text = _help(command)
    for name, field in Settings.model_fields.items():
        server_only = isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get(
            "server_only"
        )
        assert (flag_name(name) in text) != bool(server_only), name
    assert "--host" not in text
    assert "--port" not in text
    assert "--api-key" not in text
    assert len(text.splitlines()) < 80, text
    assert "--host" in _help("serve")
    assert "--api-key" in _help("serve")


def test_engine_settings_still_parse_where_they_are_listed(capsys):
    args = build_parser().parse_args(["relabel", "a", "b", "--verifier", "math", "--device", "cpu"])
    assert settings_from_args(args).device == "cpu"


def test_verify_prints_the_verdict(capsys):
    assert main(["verify", "--response", "so \\boxed{4}", "--reference", "4"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["correct"] is True
    argv = ["verify", "--response", "(B)", "--reference", "B", "--options", '["1", "2"]']
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["extracted"] == "B"


def test_verify_errors_after_parsing_are_clear_too(capsys):
    argv = ["verify", "--json-reference", "--response", "x", "--reference", "{"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("mmreward verify: error: argument --reference: not JSON")
    assert "Traceback" not in err


def test_every_subcommand_has_help(capsys):
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"serve", "verify", "relabel", "train", "grounding", "prm"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0, name
        assert "usage: mmreward " + name in capsys.readouterr().out


@pytest.mark.slow
def test_serve_runs_a_server_with_the_flags_given():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMREWARD_")}
    argv = [sys.executable, "-m", "mmreward.cli", "serve", "--port", str(port)]
    argv += ["--sandbox-workers", "1", "--preload-models", "false", "--api-key", "k3y"]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.3)
        body = {"items": [{"response": "\\boxed{2}", "reference": "2"}]}
        assert httpx.post(f"{url}/v1/verify", json=body, timeout=30).status_code == 401
        headers = {"Authorization": "Bearer k3y"}  # the secret reached the worker intact
        reply = httpx.post(f"{url}/v1/verify", json=body, headers=headers, timeout=30)
        assert reply.status_code == 200
        assert reply.json()["results"][0]["correct"] is True
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_a_bad_setting_before_starting(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--sandbox-memory-mb", "1"])
    assert exit_info.value.code == 2
    assert "--sandbox-memory-mb" in capsys.readouterr().err


def test_prm_formats_come_from_one_registry(capsys):
    from pydantic import ValidationError

    from mmreward.prm.config import PRM_FORMATS

    assert "{" + ",".join(PRM_FORMATS) + "}" in _serve_help()
    for name in PRM_FORMATS:
        assert _settings("--prm-format", name).prm_format == name
    with pytest.raises(ValidationError, match="unknown PRM format"):
        Settings(prm_format="nope")
    with pytest.raises(SystemExit):
        main(["serve", "--prm-format", "nope"])
    assert "invalid choice" in capsys.readouterr().err
