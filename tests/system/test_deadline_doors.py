"""A request whose deadline passes before its items are judged gets status `deadline` for them:
no verdict, so no adapter trains on it as a 0, and nothing remembers it.

The server here gives every request a deadline that has passed by the time its sympy items
reach the sandbox queue, so each such item is dropped there, deterministically.
"""

from __future__ import annotations

import httpx
import pytest
from live_server import LiveServer

from mmreward import LocalClient, RewardClient
from mmreward.clients.adapters import compute_score_sync, trl_reward_func
from mmreward.engine import Engine
from mmreward.service import create_app
from mmreward.settings import Settings


def sympy_item(k: int) -> dict[str, str]:
    """A correct answer that needs the sandbox; a different one per test (the engine caches)."""
    return {
        "response": f"so \\boxed{{\\sum_{{i=1}}^{{{k}}} i^2}}",
        "reference": str(sum(i * i for i in range(1, k + 1))),
    }


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    recipes = tmp_path_factory.mktemp("recipes")  # math accuracy that takes any expression
    (recipes / "plain.yaml").write_text("name: plain\ncomponents:\n  - {kind: accuracy}\n")
    with Engine(Settings(sandbox_workers=1, recipes_dir=recipes)) as built:  # with its cache
        yield built


@pytest.fixture(scope="module")
def url(engine):
    app = create_app(Settings(request_deadline_s=1e-9), engine=engine)
    with LiveServer(app) as address:
        yield address


def test_an_item_past_the_deadline_is_deadline_with_reward_zero_and_is_not_cached(engine, url):
    item = sympy_item(2)
    reply = httpx.post(f"{url}/v1/verify", json={"items": [item]}, timeout=60)
    assert reply.status_code == 200
    [late] = reply.json()["results"]
    assert late["status"] == "deadline"
    assert (late["reward"], late["correct"]) == (0.0, None)
    assert late["reason"] == "request deadline passed before the item was evaluated"
    # The same engine without a deadline judges it: nothing cached or remembered the deadline.
    [judged] = LocalClient(engine=engine).verify([item])
    assert (judged.status, judged.correct) == ("ok", True)


def test_trl_gives_none_for_a_deadline_even_without_abstain(url):
    item = sympy_item(3)
    with RewardClient(url) as client:
        for abstain in (False, True):
            reward = trl_reward_func(client, abstain=abstain)
            assert reward(["q"], [item["response"]], solution=[item["reference"]]) == [None]


def test_verl_counts_a_deadline_apart(url):
    item = sympy_item(4)
    with RewardClient(url) as client:
        result = compute_score_sync("d", item["response"], item["reference"], client=client)
        assert result["deadline"] is True
        assert result["status"] == "deadline"
        ordinary = compute_score_sync("d", r"\boxed{3}", "3", client=client)  # judged without sympy
        assert (ordinary["deadline"], ordinary["score"]) == (False, 1.0)


def test_openrlhf_logs_deadlines_apart(url):
    item = sympy_item(5)
    body = {"query": [f"Q {item['response']}"], "prompts": ["Q "], "labels": [item["reference"]]}
    reply = httpx.post(f"{url}/get_reward", params={"verifier": "math"}, json=body, timeout=60)
    assert reply.status_code == 200
    logs = reply.json()["extra_logs"]
    assert logs["deadlines"] == [1.0]
    assert logs["timeouts"] == [0.0]


def test_the_training_loop_asks_again_and_never_trains_on_a_deadline(engine, url):
    from mmreward.errors import RequestEndedError
    from mmreward.rl.trainer import judged_rewards

    item = {**sympy_item(6), "prompt": "p"}
    with RewardClient(url) as client, pytest.raises(RequestEndedError, match="deadline passed"):
        judged_rewards(client, "plain", [item])
    [result] = judged_rewards(LocalClient(engine=engine), "plain", [item])
    assert result.reward == 1.0
