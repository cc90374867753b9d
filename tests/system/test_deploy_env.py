"""deploy/mmreward.env.example documents every setting, under the name Settings reads."""

from __future__ import annotations

import re
from pathlib import Path

from mmreward.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "deploy" / "mmreward.env.example"


def test_every_setting_appears_in_the_env_example_and_nothing_else_does():
    names = set(re.findall(r"^#? ?MMREWARD_([A-Z0-9_]+)=", EXAMPLE.read_text(), re.MULTILINE))
    assert names == {field.upper() for field in Settings.model_fields}


def test_the_uncommented_lines_load_as_settings(monkeypatch):
    for line in EXAMPLE.read_text().splitlines():
        if line.startswith("MMREWARD_"):
            key, value = line.split("=", 1)
            monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.workers == 2
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
