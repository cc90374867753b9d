"""OpenRLHF 0.11's own reward path (`SingleTurnAgentExecutor`) against our server and module.

The executor tokenizes the prompt, cuts it from the left when it does not fit `max_length`,
decodes prompt + response with `skip_special_tokens=False` (EOS included) and posts it to the
`--remote_rm_url` with aiohttp, or calls `reward_func` from a `.py` path. Only the generation
engine is ours: vLLM cannot run here, so `ScriptedPolicy` answers `generate` with the token ids
of a fixed response followed by EOS, as vLLM would for a policy that wrote it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from frameworks_tiny import chat_tokenizer
from live_server import LiveServer
from openrlhf.utils import agent

from mmreward import LocalClient
from mmreward.clients import openrlhf as adapter
from mmreward.service import create_app
from mmreward.settings import Settings

KEY = "s3cret"
MODULE = Path(adapter.__file__)


class ScriptedPolicy:
    """Stands in for vLLM's engine: `generate` returns `response` + EOS as token ids."""

    def __init__(self, tokenizer, response: str, finish_reason: str = "stop") -> None:
        ids = tokenizer(response, add_special_tokens=False)["input_ids"]
        self.ids = [*ids, tokenizer.eos_token_id] if finish_reason == "stop" else ids
        self.text = tokenizer.decode(self.ids)
        self.finish_reason = finish_reason

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None):
        out = SimpleNamespace(
            token_ids=self.ids, text=self.text, finish_reason=self.finish_reason, logprobs=None
        )
        return SimpleNamespace(outputs=[out])


@pytest.fixture(scope="module")
def tokenizer():
    return chat_tokenizer()


@pytest.fixture(scope="module")
def server():
    with LocalClient(Settings(sandbox_workers=1)) as local:
        app = create_app(
            Settings(api_key=KEY, get_reward_default="verifier:math"), engine=local.engine
        )
        with LiveServer(app) as url:
            yield url


def chat(tokenizer, question: str) -> str:
    messages = [{"role": "user", "content": question}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def run(executor, tokenizer, prompt, label, response, max_length=256, finish_reason="stop"):
    policy = ScriptedPolicy(tokenizer, response, finish_reason)
    params = SimpleNamespace(max_tokens=16, logprobs=None)
    return asyncio.run(executor.execute(prompt, label, params, max_length, tokenizer, policy))


@pytest.mark.parametrize(
    ("response", "label", "reward"),
    [
        ("The answer is 5.", "5", 1.0),  # was 0: `5.<|im_end|>` extracted
        ("#### 4", "4", 1.0),  # was unparsable with the EOS glued on
        ("So \\boxed{12}", "12", 1.0),
        ("The answer is 5.", "4", 0.0),
    ],
)
def test_eos_terminated_queries_over_http(server, tokenizer, response, label, reward):
    executor = agent.SingleTurnAgentExecutor(f"{server}/get_reward?api_key={KEY}")
    out = run(executor, tokenizer, chat(tokenizer, "What is it?"), label, response)
    assert out["reward"] == [reward]
    assert out["scores"] == [reward]
    assert out["extra_logs"]["accuracy"] == [reward]


def test_a_truncated_prompt_is_never_judged(server, tokenizer):
    """The prompt says the answer; cut from the left it no longer prefixes the query."""
    prompt = chat(tokenizer, "Step by step. " * 30 + "I think the answer is 4.")
    executor = agent.SingleTurnAgentExecutor(f"{server}/get_reward?api_key={KEY}")
    lazy = run(executor, tokenizer, prompt, "4", "hmm", max_length=48)
    right = run(executor, tokenizer, prompt, "4", "The answer is 4.", max_length=48)
    query = tokenizer.decode(lazy["observation_tokens"], skip_special_tokens=False)
    assert not query.startswith(prompt)  # really cut, yet the prompt's claim is still there
    assert "the answer is 4" in query
    assert lazy["reward"] == [0.0]
    assert right["reward"] == [1.0]


def test_a_query_without_prompt_or_marker_is_an_error_item(server, tokenizer):
    plain = "Step by step. " * 30 + "I think the answer is 4. Answer:"
    executor = agent.SingleTurnAgentExecutor(f"{server}/get_reward?api_key={KEY}")
    out = run(executor, tokenizer, plain, "4", " hmm", max_length=48)
    assert out["reward"] == [0.0]
    assert out["extra_logs"]["errors"] == [1.0]


def test_the_key_rides_in_the_url_or_the_header(server):
    body = {"query": ["x \\boxed{1}"], "prompts": ["x"], "labels": ["1"]}
    assert httpx.post(f"{server}/get_reward", json=body).status_code == 401
    assert httpx.post(f"{server}/get_reward?api_key=wrong", json=body).status_code == 401
    by_header = httpx.post(
        f"{server}/get_reward", json=body, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert by_header.json()["rewards"] == [1.0]


def test_reward_func_file_over_http(server, tokenizer, monkeypatch):
    monkeypatch.setenv("MMREWARD_URL", server)
    monkeypatch.setenv("MMREWARD_API_KEY", KEY)
    executor = agent.SingleTurnAgentExecutor(str(MODULE))
    assert executor.reward_func is not None
    out = run(executor, tokenizer, chat(tokenizer, "What is it?"), "5", "The answer is 5.")
    assert out["reward"] == [1.0]


def test_reward_func_file_in_process_with_a_recipe(tokenizer, monkeypatch, tmp_path):
    """No URL: the module scores in this process; the recipe's components reach extra_logs."""
    monkeypatch.delenv("MMREWARD_URL", raising=False)
    monkeypatch.setenv("MMREWARD_SANDBOX_WORKERS", "1")
    monkeypatch.setenv("MMREWARD_ADAPTER_RECIPE", "r1v")
    tokenizer.save_pretrained(tmp_path)
    monkeypatch.setenv("MMREWARD_POLICY_TOKENIZER", str(tmp_path))
    executor = agent.SingleTurnAgentExecutor(str(MODULE))
    good = "<think>2+3</think><answer>5</answer>"
    out = run(executor, tokenizer, chat(tokenizer, "What is 2 + 3?"), "5", good)
    assert out["reward"] == [1.0]
    assert out["extra_logs"]["accuracy"] == [1.0]
    assert out["extra_logs"]["format"] == [1.0]
    sloppy = run(executor, tokenizer, chat(tokenizer, "What is 2 + 3?"), "5", "<answer>5</answer>")
    assert sloppy["reward"] == [0.5]
    # Cut at max_tokens (no EOS): the tokenizer names the EOS, so the answer earns nothing.
    cut = run(
        executor, tokenizer, chat(tokenizer, "What is 2 + 3?"), "5", good, finish_reason="length"
    )
    assert cut["truncated"] is True
    assert cut["reward"] == [0.0]
    assert cut["extra_logs"]["truncated"] == [1.0]


@pytest.mark.slow
def test_a_cut_response_earns_nothing_with_a_verifier_from_the_very_first_request(
    tokenizer, tmp_path
):
    """With `--policy-tokenizer`, `?verifier=math` applies the truncation rule as `?recipe=`
    does; the tokenizer is read at start-up, so the first request (while the models preload)
    is answered, not a 500 that OpenRLHF's retries would hide."""
    tokenizer.save_pretrained(tmp_path)
    settings = Settings(
        api_key=KEY, policy_tokenizer=tmp_path, sandbox_workers=1, preload_models=True
    )
    prompt = chat(tokenizer, "What is 2 + 3?")
    body = {"query": [prompt + "The answer is 5."], "prompts": [prompt], "labels": ["5"]}
    with LiveServer(create_app(settings)) as url:
        first = httpx.post(f"{url}/get_reward?api_key={KEY}&verifier=math", json=body, timeout=60)
        executor = agent.SingleTurnAgentExecutor(f"{url}/get_reward?api_key={KEY}&verifier=math")
        done = run(executor, tokenizer, prompt, "5", "The answer is 5.")
    assert first.status_code == 200, first.text
    assert first.json()["rewards"] == [0.0]
    assert first.json()["extra_logs"]["truncated"] == [1.0]
    assert done["reward"] == [1.0]
    assert done["extra_logs"]["truncated"] == [0.0]
