"""One script, four clients: only the constructor differs, and every answer is the same.

The in-process clients and the HTTP clients each get an engine of their own (built from the same
settings), so equal answers come from the same scoring, not from a shared cache.
"""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import numpy as np
import pytest
from live_server import LiveServer
from prm_checkpoints import build_orm, build_token_cls

from mmreward import AsyncLocalClient, AsyncRewardClient, LocalClient, RewardClient
from mmreward.grounding.synthetic import generate_scene
from mmreward.prm.items import PRMItem
from mmreward.service import create_app
from mmreward.settings import Settings

VERIFY = [
    {"verifier": "math", "response": "\\boxed{42}", "reference": "42"},
    {"verifier": "math", "response": "\\boxed{41}", "reference": "42"},
    {"verifier": "nope", "response": "x", "reference": "y"},
]
REWARD = [
    {"response": "<think>2+2</think> \\boxed{4}", "reference": "4"},
    {"response": "\\boxed{5}", "reference": "4"},
]
PRM = [
    PRMItem(problem="Compute: 3 + 4 * 2", steps=["4 * 2 = 8", "3 + 8 = 11", "The answer is 11."]),
    {"problem": "Compute: 3 + 4 * 2", "steps": ["4 * 2 = 9", "3 + 9 = 12"]},
    {"problem": "no steps at all", "steps": []},
]
ORM = [{"prompt": "what is 2 + 2?", "response": "4"}, {"prompt": "", "response": "5"}]


def _grounding_items() -> list[dict[str, Any]]:
    scene = generate_scene(np.random.default_rng(5))
    buffer = io.BytesIO()
    scene.image.save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    shape = scene.shapes[0].cls
    count = sum(s.cls == shape for s in scene.shapes)
    question = f"How many {shape}s?"
    return [
        {"image": image, "response": f"There are {n}.", "question": question, "task": "count"}
        for n in (count, count + 2)
    ] + [{"image": image, "response": f"I see a {shape}.", "task": "hallucination"}]


GROUNDING = _grounding_items()


def score_everything(client: Any) -> dict[str, list[Any]]:
    """The training-script side: nothing here knows which client it holds."""
    return {
        "verify": client.verify(VERIFY),
        "reward": client.reward("math_format", REWARD),
        "prm": client.prm_score(PRM, aggregate="mean", threshold=0.5),
        "orm": client.orm_score(ORM),
        "grounding": client.grounding_score(GROUNDING),
    }


async def ascore_everything(client: Any) -> dict[str, list[Any]]:
    return {
        "verify": await client.verify(VERIFY),
        "reward": await client.reward("math_format", REWARD),
        "prm": await client.prm_score(PRM, aggregate="mean", threshold=0.5),
        "orm": await client.orm_score(ORM),
        "grounding": await client.grounding_score(GROUNDING),
    }


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("parity")
    return Settings(
        sandbox_workers=1,
        prm_model=build_token_cls(root / "prm"),
        prm_format="token-cls",
        orm_model=build_orm(root / "orm"),
    )


@pytest.fixture(scope="module")
def local_answers(settings: Settings) -> dict[str, list[Any]]:
    with LocalClient(settings) as client:
        return score_everything(client)


@pytest.fixture(scope="module")
def server_url(settings: Settings):
    with LiveServer(create_app(settings)) as url:
        yield url


def test_local_answers_are_typed_and_scored(local_answers):
    right, wrong, unknown = local_answers["verify"]
    assert (right.correct, wrong.correct, unknown.status) == (True, False, "error")
    assert [r.reward for r in local_answers["reward"]] == [pytest.approx(1.0), 0.0]
    good, bad, empty = local_answers["prm"]
    assert len(good.step_scores) == 3
    assert len(bad.step_scores) == 2
    assert good.error is None
    assert "no steps" in (empty.error or "")
    assert all(0.0 < r.reward < 1.0 for r in local_answers["orm"])
    assert [v.correct for v in local_answers["grounding"][:2]] == [True, False]


@pytest.mark.slow
def test_remote_client_gives_the_local_answers(local_answers, server_url):
    with RewardClient(server_url) as client:
        assert score_everything(client) == local_answers


@pytest.mark.slow
def test_async_clients_give_the_same_answers(local_answers, settings, server_url):
    async def both() -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        async with AsyncLocalClient(settings) as local, AsyncRewardClient(server_url) as remote:
            return await ascore_everything(local), await ascore_everything(remote)

    local, remote = asyncio.run(both())
    assert local == local_answers
    assert remote == local_answers
