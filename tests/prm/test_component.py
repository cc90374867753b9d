"""`/v1/prm/score` and `/v1/orm/score` over HTTP, including back-pressure under load."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest
from fastapi.testclient import TestClient
from live_server import LiveServer
from prm_checkpoints import build_orm, build_token_cls

from mmreward.service import create_app
from mmreward.settings import Settings

CHAIN = {
    "problem": "Compute: 3 + 4 * 2",
    "steps": ["4 * 2 = 8", "3 + 8 = 11", "The answer is 11."],
}


@pytest.fixture(scope="module")
def tiny_prm(tmp_path_factory):
    return build_token_cls(tmp_path_factory.mktemp("svc") / "prm")


@pytest.fixture(scope="module")
def client(tiny_prm):
    settings = Settings(sandbox_workers=1, prm_model=tiny_prm, prm_format="token-cls")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize("how", ["min", "prod", "mean", "last"])
def test_aggregate_and_first_error_follow_the_step_scores(client, how):
    reply = client.post("/v1/prm/score", json={"items": [CHAIN], "aggregate": how})
    assert reply.status_code == 200, reply.text
    (result,) = reply.json()["results"]
    steps = result["step_scores"]
    assert len(steps) == 3
    assert all(0.0 <= s <= 1.0 for s in steps)
    expected = {
        "min": min(steps),
        "prod": math.prod(steps),
        "mean": sum(steps) / 3,
        "last": steps[-1],
    }[how]
    assert result["score"] == pytest.approx(expected)
    assert result["first_error"] == next((i for i, s in enumerate(steps) if s < 0.5), -1)
    assert result["truncated"] is False


def test_threshold_moves_the_first_error(client):
    low = client.post("/v1/prm/score", json={"items": [CHAIN], "threshold": 0.0}).json()
    high = client.post("/v1/prm/score", json={"items": [CHAIN], "threshold": 1.0}).json()
    assert low["results"][0]["first_error"] == -1  # no probability is below 0
    assert high["results"][0]["first_error"] == 0  # every probability is below 1


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {"items": [{"problem": "x"}]},
        {"items": [CHAIN], "aggregate": "median"},
        {"items": [CHAIN], "threshold": 2},
        {"items": [{"problem": 3, "steps": ["a"]}]},
    ],
)
def test_malformed_requests_get_422(client, body):
    assert client.post("/v1/prm/score", json=body).status_code == 422


def test_an_item_without_steps_is_an_error_for_that_item_only(client):
    reply = client.post("/v1/prm/score", json={"items": [{"problem": "x", "steps": []}, CHAIN]})
    assert reply.status_code == 200, reply.text
    empty, scored = reply.json()["results"]
    assert "no steps" in empty["error"]
    assert empty["score"] == 0.0
    assert scored["error"] is None
    assert len(scored["step_scores"]) == 3


def test_steps_longer_than_the_window_are_an_error_for_that_item_only(client):
    long_chain = {"problem": "Compute: 1 + 1", "steps": ["1 + 1 = 2"] * 60}  # > 256 tokens
    reply = client.post("/v1/prm/score", json={"items": [CHAIN, long_chain, CHAIN]})
    assert reply.status_code == 200, reply.text
    first, too_long, last = reply.json()["results"]
    assert "over the model's limit" in too_long["error"]
    assert too_long["step_scores"] == []
    assert first == last
    assert first["error"] is None


def test_orm_without_a_model_is_503(client):
    reply = client.post("/v1/orm/score", json={"items": [{"prompt": "a", "response": "b"}]})
    assert reply.status_code == 503
    assert "--orm-model" in reply.json()["detail"]


@pytest.fixture(scope="module")
def full_client(tiny_prm, tmp_path_factory):
    """A server with an ORM too, and a recipe that weighs accuracy, PRM and ORM."""
    root = tmp_path_factory.mktemp("svc-orm")
    recipes = root / "recipes"
    recipes.mkdir()
    (recipes / "checked.yaml").write_text(
        "name: checked\n"
        "components:\n"
        "  - {kind: accuracy, weight: 0.5, params: {verifier: math}}\n"
        "  - {kind: prm, weight: 0.3, params: {aggregate: mean}}\n"
        "  - {kind: orm, weight: 0.2}\n"
    )
    settings = Settings(
        sandbox_workers=1,
        prm_model=tiny_prm,
        prm_format="token-cls",
        orm_model=build_orm(root / "orm"),
        recipes_dir=recipes,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_orm_scores_and_rewards(full_client):
    items = [{"prompt": "what is 2 + 2?", "response": "4"}, {"prompt": "", "response": "5"}]
    reply = full_client.post("/v1/orm/score", json={"items": items})
    assert reply.status_code == 200, reply.text
    for result in reply.json()["results"]:
        assert result["reward"] == pytest.approx(1 / (1 + math.exp(-result["score"])))
        assert result["truncated"] is False


def test_recipe_weighs_prm_and_orm_components(full_client):
    item = {
        "response": "4 * 2 = 8\n\n3 + 8 = 11\n\nThe answer is 11.",
        "reference": "11",
        "prompt": CHAIN["problem"],
    }
    with_steps = {**item, "steps": CHAIN["steps"]}
    reply = full_client.post("/v1/reward/checked", json={"items": [item, with_steps]})
    assert reply.status_code == 200, reply.text
    split, given = reply.json()["results"]
    for result in (split, given):
        parts = result["components"]
        assert parts["accuracy"]["score"] == 1.0
        steps = parts["prm"]["details"]["step_scores"]
        assert len(steps) == 3
        assert parts["prm"]["score"] == pytest.approx(sum(steps) / 3)
        assert 0.0 < parts["orm"]["score"] < 1.0
        total = sum(p["weighted"] for p in parts.values())
        assert result["reward"] == pytest.approx(total)
    # Splitting the response on blank lines gives the same steps as sending them.
    assert split["components"]["prm"] == given["components"]["prm"]


@pytest.mark.slow
def test_256_concurrent_requests_get_answers_or_clean_429s(tiny_prm):
    settings = Settings(
        sandbox_workers=1,
        prm_model=tiny_prm,
        prm_format="token-cls",
        batch_max_queue=8,
        batch_max_wait_ms=50,
    )
    body = {"items": [CHAIN] * 4}

    async def hammer(url: str) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            return await asyncio.gather(
                *(http.post("/v1/prm/score", json=body) for _ in range(256))
            )

    with LiveServer(create_app(settings)) as url:
        replies = asyncio.run(hammer(url))
    codes = [r.status_code for r in replies]
    assert set(codes) <= {200, 429}, codes
    assert codes.count(200) > 0
    assert codes.count(429) > 0
    for reply in replies:
        if reply.status_code == 429:
            assert int(reply.headers["Retry-After"]) >= 1
            assert "queue full" in reply.json()["detail"]
        else:
            results = reply.json()["results"]
            assert len(results) == 4
            assert all(len(r["step_scores"]) == 3 for r in results)
            assert results[0] == results[1] == results[2] == results[3]


def test_recipe_scores_degenerate_completions_zero_without_failing_the_batch(full_client):
    good = {"response": "4 * 2 = 8\n\n3 + 8 = 11\n\nThe answer is 11.", "prompt": CHAIN["problem"]}
    empty = {"response": "  \n\n ", "prompt": CHAIN["problem"]}
    rambling = {"response": "\n\n".join(["12 + 12 = 24"] * 200), "prompt": CHAIN["problem"]}
    items = [{**it, "reference": "11"} for it in (good, empty, rambling)]
    reply = full_client.post("/v1/reward/checked", json={"items": items})
    assert reply.status_code == 200, reply.text
    scored, blank, long = (r["components"]["prm"] for r in reply.json()["results"])
    alone = full_client.post("/v1/reward/checked", json={"items": items[:1]}).json()
    assert scored == alone["results"][0]["components"]["prm"]
    assert blank == {"score": 0.0, "details": {"error": "item 1: no steps"}, **_weights(blank)}
    assert long["score"] == 0.0
    assert long["details"]["error"].startswith("item 2:")
    assert "token" in long["details"]["error"]


def _weights(part):
    return {"weight": part["weight"], "weighted": part["weighted"]}


def test_chains_still_queued_at_the_deadline_are_errors_in_their_places(client):
    """The batcher waits a few ms for company before it takes a batch: by then a 1 ms
    deadline has passed, so the chains are dropped, not scored; the answer is per item."""
    item = {"problem": "1+1?", "steps": ["1+1=2"]}
    empty = {"problem": "1+1?", "steps": []}
    late = client.post(
        "/v1/prm/score", json={"items": [item, empty, item]}, headers={"X-Deadline-S": "0.001"}
    )
    assert late.status_code == 200
    first, refused, last = late.json()["results"]
    for dropped in (first, last):
        assert dropped["error"] == "request deadline passed before the item was evaluated"
    assert refused["error"].startswith("item 1:")
    assert (
        client.post("/v1/prm/score", json={"items": [item]}).json()["results"][0]["error"] is None
    )
