import asyncio

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from live_server import LiveServer

from mmreward import AsyncLocalClient, AsyncRewardClient, LocalClient, RewardClient
from mmreward.clients import adapters
from mmreward.errors import InvalidInputError
from mmreward.service import create_app
from mmreward.settings import Settings


@pytest.fixture(scope="module")
def local():
    with LocalClient(Settings(sandbox_workers=1)) as client:
        yield client


@pytest.fixture(scope="module")
def server_url(local):
    with LiveServer(create_app(engine=local.engine)) as url:
        yield url


ITEMS = [
    {"verifier": "math", "response": "\\boxed{42}", "reference": "42"},
    {"verifier": "math", "response": "\\boxed{41}", "reference": "42"},
]


def test_local_client_judges_in_process(local):
    assert [v.correct for v in local.verify(ITEMS)] == [True, False]


def test_http_client_matches_local(local, server_url):
    with RewardClient(server_url) as client:
        assert client.verify(ITEMS) == local.verify(ITEMS)


def test_async_http_client(server_url):
    async def main():
        async with AsyncRewardClient(server_url) as client:
            return await client.verify(ITEMS)

    assert [v.reward for v in asyncio.run(main())] == [1.0, 0.0]


def test_http_client_retries_429_then_succeeds():
    app = FastAPI()
    calls = []

    @app.post("/v1/verify")
    def busy():
        calls.append(1)
        if len(calls) < 3:
            return JSONResponse(
                {"detail": "queue full"}, status_code=429, headers={"Retry-After": "1"}
            )
        return {"results": [{"reward": 1.0, "correct": True, "status": "ok"}]}

    with LiveServer(app) as url, RewardClient(url, retries=3) as client:
        [verdict] = client.verify(ITEMS[:1])
    assert verdict.correct is True
    assert len(calls) == 3


def test_http_client_does_not_retry_client_errors(server_url):
    import httpx

    with RewardClient(server_url) as client, pytest.raises(httpx.HTTPStatusError) as info:
        client.post("/v1/verify", {"items": []})
    assert info.value.response.status_code == 422


def test_a_recipe_name_is_one_path_segment_never_a_query(server_url):
    items = [{"response": "\\boxed{42}", "reference": "42"}]
    with RewardClient(server_url, retries=0) as client:
        assert client.reward("math", items)[0].reward > 0
        with pytest.raises(httpx.HTTPStatusError) as info:
            client.reward("math?x=1", items)  # not the recipe `math` with a query
    assert "math?x=1" in info.value.response.text


@pytest.mark.parametrize(
    "args", [{"threshold": float("nan")}, {"threshold": 2}, {"aggregate": "max"}]
)
def test_in_process_prm_arguments_are_checked_as_the_http_schema_checks_them(local, args):
    chain = [{"problem": "1 + 1", "steps": ["1 + 1 = 2"]}]
    with pytest.raises(InvalidInputError):
        local.prm_score(chain, **args)
    with pytest.raises(InvalidInputError):
        asyncio.run(AsyncLocalClient(engine=local.engine).prm_score(chain, **args))


def test_trl_reward_function_takes_strings_and_chat_messages(local):
    reward = adapters.trl_reward_func(local)
    completions = [
        "\\boxed{7}",
        [{"role": "assistant", "content": "It is \\boxed{8}."}],
        [{"role": "assistant", "content": [{"type": "text", "text": "\\boxed{7}"}]}],
    ]
    rewards = reward(["p"] * 3, completions, solution=["7", "7", "7"])
    assert rewards == [1.0, 0.0, 1.0]


def test_trl_abstains_on_unjudgeable_items(local):
    reward = adapters.trl_reward_func(local, abstain=True)
    rewards = reward(["p", "p"], ["\\boxed{1}", "\\boxed{1}"], solution=["1", "\\frac{"])
    assert rewards[0] == 1.0
    assert rewards[1] is None


def test_verl_compute_score(local):
    result = adapters.compute_score_sync("gsm8k", "#### 1,234", "1234", client=local)
    assert result["score"] == 1.0
    assert result["acc"] is True
    assert result["status"] == "ok"


def test_openrlhf_get_reward(local):
    with TestClient(create_app(engine=local.engine)) as client:
        body = {
            "query": ["Q: 1+1? A: \\boxed{2}", "Q: 2+2? A: \\boxed{5}"],
            "prompts": ["Q: 1+1? A:", "Q: 2+2? A:"],
            "labels": ["2", "4"],
        }
        answer = client.post("/get_reward?verifier=math", json=body).json()
        assert answer["rewards"] == [1.0, 0.0]
        assert answer["scores"] == [1.0, 0.0]
        assert answer["extra_logs"]["accuracy"] == [1.0, 0.0]
        bad = client.post("/get_reward?verifier=math", json={**body, "labels": ["2"]})
        assert bad.status_code == 422


def test_http_client_sends_the_api_key(local):
    app = create_app(Settings(api_key="k3y"), engine=local.engine)
    with LiveServer(app) as url:
        with RewardClient(url, api_key="k3y") as client:
            assert [v.correct for v in client.verify(ITEMS)] == [True, False]
        with (
            RewardClient(url, retries=0) as anonymous,
            pytest.raises(httpx.HTTPStatusError) as info,
        ):
            anonymous.verify(ITEMS)
        assert info.value.response.status_code == 401


def test_local_client_scores_recipes_with_a_breakdown(local):
    items = [
        {"response": "<think>2+2</think> \\boxed{4}", "reference": "4"},
        {"response": "\\boxed{4}", "reference": "4"},
    ]
    first, second = local.reward("math_format", items)
    assert first.reward == pytest.approx(1.0)
    assert second.reward == pytest.approx(0.9)
    for result in (first, second):
        weighted = sum(c.weighted for c in result.components.values())
        assert result.reward == pytest.approx(weighted)


def test_local_client_scores_steps_and_images(local):
    import base64
    import io

    import numpy as np

    from mmreward.grounding.synthetic import generate_scene
    from mmreward.prm.items import PRMItem

    good = PRMItem(
        problem="Compute: 3 + 4 * 2", steps=["4 * 2 = 8", "3 + 8 = 11", "The answer is 11."]
    )
    bad = PRMItem(
        problem="Compute: 3 + 4 * 2", steps=["4 * 2 = 9", "3 + 9 = 12", "The answer is 12."]
    )
    right, wrong = local.prm_score([good, bad])
    assert right.first_error == -1
    assert wrong.first_error == 0
    assert len(right.step_scores) == 3

    scene = generate_scene(np.random.default_rng(5))
    buffer = io.BytesIO()
    scene.image.save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    shape = scene.shapes[0].cls
    count = sum(s.cls == shape for s in scene.shapes)
    answers = [f"There are {count}.", f"There are {count + 2}."]
    verdicts = local.grounding_score(
        [
            {"image": image, "response": a, "question": f"How many {shape}s?", "task": "count"}
            for a in answers
        ]
    )
    assert [v.correct for v in verdicts] == [True, False]


def test_openrlhf_get_reward_honours_the_item_bound(local):
    with TestClient(create_app(Settings(max_items=2), engine=local.engine)) as client:
        body = {"query": ["\\boxed{1}"] * 3, "prompts": [""] * 3, "labels": ["1"] * 3}
        reply = client.post("/get_reward?verifier=math", json=body)
        assert reply.status_code == 422
        assert "at most 2 items" in reply.json()["detail"]


def test_blocking_reward_inside_an_event_loop_says_to_await_the_async_twin(local):
    async def inside_a_loop():
        return local.reward("math", [{"response": "\\boxed{1}", "reference": "1"}])

    with pytest.raises(RuntimeError, match="await its a\\* twin"):
        asyncio.run(inside_a_loop())
    [result] = local.reward("math", [{"response": "\\boxed{1}", "reference": "1"}])
    assert result.reward == 1.0
