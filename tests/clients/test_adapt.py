"""Every framework adapter through each of the four clients, and the conventions they meet.

One engine serves all four clients (in-process sync/async, HTTP sync/async over a live server),
with a recipe that has every kind of component: accuracy, format, PRM and grounding.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
from functools import partial

import numpy as np
import pytest
from frameworks_tiny import chat_tokenizer
from live_server import LiveServer

from mmreward import AsyncLocalClient, AsyncRewardClient, LocalClient, RewardClient
from mmreward.clients import _adapt, easyr1, openrlhf
from mmreward.clients.adapters import (
    async_trl_reward_func,
    compute_score,
    compute_score_batch,
    compute_score_float,
    compute_score_sync,
    reward_func,
    trl_component_funcs,
    trl_reward_func,
)
from mmreward.grounding.synthetic import generate_scene
from mmreward.service import create_app
from mmreward.settings import Settings

RECIPE = """
name: everything
components:
  - {name: accuracy, kind: accuracy, weight: 0.4, params: {verifier: math}}
  - {name: format, kind: format, weight: 0.2, params: {spec: think_answer}}
  - {name: prm, kind: prm, weight: 0.2}
  - {name: count, kind: grounding, weight: 0.2, params: {task: count}}
"""
KINDS = ["local", "async_local", "http", "async_http"]


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    recipes = tmp_path_factory.mktemp("recipes")
    (recipes / "everything.yaml").write_text(RECIPE)
    with LocalClient(Settings(sandbox_workers=1, recipes_dir=recipes)) as client:
        yield client


@pytest.fixture(scope="module")
def url(local):
    with LiveServer(create_app(engine=local.engine)) as address:
        yield address


@pytest.fixture(params=KINDS)
def client(request, local, url):
    """Each kind of client; coroutine clients are driven on the adapters' own loop."""
    kind = request.param
    if kind == "local":
        yield local
    elif kind == "async_local":
        yield AsyncLocalClient(engine=local.engine)
    elif kind == "http":
        with RewardClient(url) as http:
            yield http
    else:
        http = AsyncRewardClient(url)
        yield http
        _adapt.call(http.aclose)


@pytest.fixture(scope="module")
def scene():
    scene = generate_scene(np.random.default_rng(5))
    shape = scene.shapes[0].cls
    return scene, shape, sum(s.cls == shape for s in scene.shapes)


def test_trl_verifier_function(client):
    reward = trl_reward_func(client)
    completions = [
        "\\boxed{7}",
        [{"role": "assistant", "content": "It is \\boxed{8}."}],
        [{"role": "assistant", "content": [{"type": "text", "text": "\\boxed{7}"}]}],
    ]
    assert reward(["p"] * 3, completions, solution=["7", "7", np.int64(7)]) == [1.0, 0.0, 1.0]


def test_trl_async_function(client):
    reward = async_trl_reward_func(client, verifier="chart")

    async def call():
        return await reward(["p", "p"], ["about 1.2 million", "12"], solution=["1200000", "13"])

    assert _adapt.call(call) == [1.0, 0.0]


def test_trl_recipe_with_images_logs_every_component(client, scene):
    """Image and question columns reach the grounding component; the PRM reads the prompt."""
    image, shape, count = scene
    logged: dict = {}
    extra: dict = {}
    reward = trl_reward_func(client, recipe="everything")
    steps = "4 * 2 = 8\n\n3 + 8 = 11\n\n"
    completions = [
        f"<think>{steps}</think><answer>{count}</answer>",
        f"{steps}The answer is {count + 1}.",
    ]
    rewards = reward(
        ["Compute: 3 + 4 * 2"] * 2,
        completions,
        solution=[str(count), str(count)],
        image=[image.image, image.image],
        question=[f"How many {shape}s?"] * 2,
        log_metric=logged.__setitem__,
        log_extra=extra.__setitem__,
    )
    name = reward.__name__
    assert set(logged) == {f"{name}/{c}" for c in ("accuracy", "format", "prm", "count")}
    assert extra[f"{name}/accuracy"] == [1.0, 0.0]
    assert extra[f"{name}/format"] == [1.0, 0.0]
    assert extra[f"{name}/count"] == [1.0, 0.0]
    prm = extra[f"{name}/prm"]
    assert 0.0 < prm[0] <= 1.0
    assert rewards[0] == pytest.approx(0.4 + 0.2 + 0.2 * prm[0] + 0.2)
    assert rewards[1] == pytest.approx(0.2 * prm[1])


def test_trl_component_functions_share_one_call(client):
    funcs = trl_component_funcs(client, "r1v", ["accuracy", "format"])
    done = ["<think>a</think><answer>3</answer>", "<answer>3</answer>", "\\boxed{4}"]
    parts = [f(["p"] * 3, done, solution=["3", "3", "3"]) for f in funcs]
    assert parts == [[0.5, 0.5, 0.0], [0.5, 0.0, 0.0]]
    assert len({f.__name__ for f in funcs}) == 2


def test_verl_functions(client):
    reward_loop = _adapt.call(compute_score, "m", "\\boxed{5}", np.int64(5), client=client)
    assert reward_loop == compute_score_sync("m", "\\boxed{5}", np.int64(5), client=client)
    assert reward_loop["score"] == 1.0
    assert compute_score_float("m", "\\boxed{5}", np.array([5]), {}, client=client) == 1.0
    scores = compute_score_batch(
        data_sources=["m", "m"],
        solution_strs=["<think>a</think><answer>3</answer>", "\\boxed{3}"],
        ground_truths=[np.float64(3.0), "3"],
        extra_infos=[{"recipe": "r1v"}, {}],
        client=client,
        reward_router_address="127.0.0.1:1",  # what verl's reward router adds; ignored
    )
    assert [s["score"] for s in scores] == [1.0, 1.0]
    assert scores[0].keys() == scores[1].keys()  # the batch manager needs equal keys


def test_easyr1_function(client):
    inputs = [
        {"response": "<think>a</think> \\boxed{3}", "response_length": 9, "ground_truth": "3"},
        {"response": "\\boxed{4}", "response_length": 3, "ground_truth": "3"},
    ]
    scores = easyr1.compute_score(inputs, recipe="math_format", client=client)
    assert [s["overall"] for s in scores] == [pytest.approx(1.0), 0.0]
    assert all(isinstance(v, float) for s in scores for v in s.values())


def test_openrlhf_reward_func(client, monkeypatch):
    monkeypatch.delenv("MMREWARD_URL", raising=False)
    monkeypatch.setattr(_adapt, "_shared", {(None, None): client})
    prompt = "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"
    answer = reward_func([prompt + "The answer is 5.<|im_end|>"], [prompt], ["5"])
    assert answer["rewards"] == [1.0]


def test_trl_names_are_unique_unless_given(local):
    first = trl_reward_func(local, verifier="chart", tolerance=0.1)
    second = trl_reward_func(local, verifier="chart", tolerance=0.2)
    assert first.__name__ != second.__name__
    assert first.__name__.startswith("mmreward_chart")
    assert trl_reward_func(local, name="acc").__name__ == "acc"


def test_trl_names_keep_across_rebuilds(local, url, monkeypatch):
    """A notebook cell run again builds the same functions: same metric names, whichever
    client they go through, so a dashboard does not split into `_2` series."""
    monkeypatch.setattr(_adapt, "_taken", {})
    built = [
        trl_reward_func(local, verifier="chart"),
        *trl_component_funcs(local, "r1v", ["accuracy", "format"]),
    ]
    with RewardClient(url) as http:
        again = [
            trl_reward_func(http, verifier="chart"),
            *trl_component_funcs(http, "r1v", ["accuracy", "format"]),
        ]
    names = [f.__name__ for f in built]
    assert [f.__name__ for f in again] == names
    assert names == ["mmreward_chart", "mmreward_r1v_accuracy", "mmreward_r1v_format"]
    assert trl_reward_func(local, verifier="chart", abstain=True).__name__ == "mmreward_chart_2"


def test_trl_reference_column_only_where_needed(local):
    layout = trl_reward_func(local, verifier="format", spec="think_answer")
    assert layout(["p"], ["<think>a</think><answer>b</answer>"]) == [1.0]
    with pytest.raises(ValueError, match="needs the reference column 'solution'"):
        trl_reward_func(local)(["p"], ["\\boxed{1}"], answer=["1"])
    assert trl_reward_func(local, reference_column="answer")(["p"], ["\\boxed{1}"], answer=["1"])


def test_trl_abstains_alike_with_or_without_an_answer(local):
    """An unreadable reference says nothing about either response: both are skipped."""
    reward = trl_reward_func(local, abstain=True)
    rewards = reward(
        ["p"] * 3, ["\\boxed{1}", "no idea", "\\boxed{1}"], solution=["\\frac{"] * 2 + ["1"]
    )
    assert rewards == [None, None, 1.0]


def test_easyr1_loads_the_way_easyr1_loads_it(local):
    """A file path, `REWARD_TYPE`, partial(fn, **reward_function_kwargs), `np.mean` per key."""
    spec = importlib.util.spec_from_file_location("custom_reward_fn", easyr1.__file__)
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_reward_fn"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["custom_reward_fn"]
    assert module.REWARD_TYPE == "batch"
    fn = partial(module.compute_score, recipe="r1v", client=local)
    truth = {"reference": "3", "question": "q"}
    scores = fn(
        [
            {
                "response": "<think>x</think><answer>3</answer>",
                "response_length": 8,
                "ground_truth": truth,
            },
            {"response": "<answer>4</answer>", "response_length": 4, "ground_truth": "3"},
        ]
    )
    metrics = {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}
    assert metrics["overall"] == pytest.approx(0.5)
    assert metrics["format"] == pytest.approx(0.5)


def test_easyr1_response_filling_the_budget_is_truncated(local):
    inputs = [
        {"response": "\\boxed{3}", "response_length": 8, "ground_truth": "3"},
        {"response": "\\boxed{3}", "response_length": 7, "ground_truth": "3"},
    ]
    cut = easyr1.compute_score(inputs, client=local, max_response_length=8)
    assert [s["overall"] for s in cut] == [0.0, 1.0]
    assert [s["overall"] for s in easyr1.compute_score(inputs, client=local)] == [1.0, 1.0]


def test_locate_response_never_returns_prompt_text():
    fmt = openrlhf.QueryFormat()
    chat = "<|im_start|>user\nthe answer is 4<|im_end|>\n<|im_start|>assistant\n"
    assert openrlhf.locate_response(chat + "hmm<|im_end|>", chat) == "hmm"
    cut = chat[9:]  # the prompt lost its head to truncation
    assert (
        openrlhf.locate_response(cut + "The answer is 5.<|im_end|>", chat, fmt)
        == "The answer is 5."
    )
    llama = "<|start_header_id|>assistant<|end_header_id|>\n\n"
    assert openrlhf.locate_response(f"...{llama}#### 5<|eot_id|>", "x") == "#### 5"
    assert openrlhf.locate_response("the answer is 4. hmm</s>", "Q: the answer is 4.!") is None


def test_query_format_reads_the_tokenizer(tmp_path):
    tokenizer = chat_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|eom|>"]})
    tokenizer.chat_template = tokenizer.chat_template.replace(
        "'<|im_start|>assistant\n'", "'<|im_start|>bot\n'"
    )
    tokenizer.save_pretrained(tmp_path)
    fmt = openrlhf.query_format(str(tmp_path))
    assert "<|eom|>" in fmt.special_tokens
    assert fmt.assistant_markers[0] == "<|im_start|>bot\n"
    query = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>bot\n\\boxed{2}<|eom|>"
    assert openrlhf.locate_response(query, "lost", fmt) == "\\boxed{2}"


def test_shared_client_is_built_once_under_concurrent_first_calls(monkeypatch):
    built = []

    class Slow:
        def __init__(self, url, api_key=None):
            built.append(url)
            threading.Event().wait(0.05)

    monkeypatch.setattr(_adapt, "_shared", {})
    monkeypatch.setattr("mmreward.clients._http.RewardClient", Slow)
    threads = [
        threading.Thread(target=_adapt.shared_client, args=("http://h:1",)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["http://h:1"]


def test_plain_values_from_numpy_and_torch():
    import torch

    assert _adapt.plain(np.int64(5)) == 5
    assert type(_adapt.plain(np.float64(0.5))) is float
    assert _adapt.plain(np.array(["a", "b"])) == ["a", "b"]
    assert _adapt.plain(torch.tensor([1, 2])) == [1, 2]
    assert _adapt.plain({"k": (np.int32(1),)}) == {"k": [1]}


def test_coroutine_clients_in_an_async_caller(local, url):
    """Async TRL functions await coroutine clients on the caller's own event loop."""

    async def main():
        async with AsyncRewardClient(url) as http:
            funcs = [
                async_trl_reward_func(http),
                async_trl_reward_func(AsyncLocalClient(engine=local.engine)),
            ]
            return [await f(["p"], ["\\boxed{2}"], solution=["2"]) for f in funcs]

    assert asyncio.run(main()) == [[1.0], [1.0]]


def test_trl_completion_cut_at_the_length_limit_earns_nothing(local):
    """With the EOS id, TRL's `completion_ids` tell a finished completion from a cut one."""
    eos = 9
    ids = [[3, 4, eos], [3, 4, 5]]
    plain_fn = trl_reward_func(local, eos_token_id=eos)
    recipe_fn = trl_reward_func(local, recipe="math", eos_token_id=eos)
    args = (["p", "p"], ["\\boxed{1}", "\\boxed{1}"])
    assert plain_fn(*args, solution=["1", "1"], completion_ids=ids) == [1.0, 0.0]
    assert recipe_fn(*args, solution=["1", "1"], completion_ids=ids) == [1.0, 0.0]
    assert plain_fn(*args, solution=["1", "1"], completion_ids=[ids[1], ids[1]]) == [0.0, 0.0]


def test_openrlhf_query_without_eos_is_truncated(tmp_path):
    tokenizer = chat_tokenizer()
    tokenizer.save_pretrained(tmp_path)
    fmt = openrlhf.query_format(str(tmp_path))
    prompt = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
    done, cut = openrlhf.rows(
        [prompt + "\\boxed{2}<|im_end|>", prompt + "\\boxed{2}"], [prompt] * 2, ["2"] * 2, fmt
    )
    assert done.extra["truncated"] is False
    assert cut.extra["truncated"] is True


def test_a_missing_policy_tokenizer_is_a_clear_503(local, tmp_path):
    from fastapi.testclient import TestClient

    settings = Settings(policy_tokenizer=tmp_path / "missing")
    with TestClient(create_app(settings, engine=local.engine)) as http:
        body = {"query": ["Q \\boxed{1}"], "prompts": ["Q"], "labels": ["1"]}
        answer = http.post("/get_reward?verifier=math", json=body)
    assert answer.status_code == 503
    assert "policy tokenizer" in answer.json()["detail"]
