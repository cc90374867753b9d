"""AReaL 1.0's own reward path running `mmreward.clients.areal`.

`AsyncRewardWrapper` pickles the reward function into a `ProcessPoolExecutor` worker and calls
it with AReaL's documented signature; `RLVRWorkflow` decodes a `ModelResponse` with the special
tokens kept and calls the wrapper with the dataset row's columns, the function loaded from its
import string as a config would give it. Rewards equal our engine's verdicts.
"""

from __future__ import annotations

import asyncio

import pytest
from areal.api.cli_args import GenerationHyperparameters
from areal.api.io_struct import ModelResponse
from areal.api.reward_api import AsyncRewardWrapper
from areal.utils.dynamic_import import import_from_string
from areal.workflow.rlvr import RLVRWorkflow
from frameworks_tiny import chat_tokenizer
from live_server import LiveServer

from mmreward import LocalClient
from mmreward.clients.areal import AReaLReward
from mmreward.items import VerifyItem
from mmreward.service import create_app
from mmreward.settings import Settings

ROWS = [
    # (completion, answer)
    ("The answer is \\boxed{5}.", "5"),
    ("#### 1,234", "1234"),
    ("so it is \\boxed{6}", "5"),
    ("\\boxed{\\frac{1}{2}}", "0.5"),
    ("I give up.", "7"),
]


@pytest.fixture(scope="module")
def tokenizer():
    return chat_tokenizer()


@pytest.fixture(scope="module")
def local():
    with LocalClient(Settings(sandbox_workers=1)) as client:
        yield client


@pytest.fixture(scope="module")
def url(local):
    with LiveServer(create_app(engine=local.engine)) as address:
        yield address


def response(tokenizer, text: str, finished: bool = True) -> ModelResponse:
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Question?"}], tokenize=True, add_generation_prompt=True
    )
    ids = tokenizer(text)["input_ids"] + ([tokenizer.eos_token_id] if finished else [])
    return ModelResponse(input_tokens=list(prompt), output_tokens=ids, tokenizer=tokenizer)


def test_async_reward_wrapper_scores_in_its_worker_processes(tokenizer, local, url):
    """The documented call, from AReaL's process pool: equal to our verdicts."""
    verdicts = local.verify([VerifyItem(response=c, reference=a) for c, a in ROWS])
    wrapper = AsyncRewardWrapper(AReaLReward(url=url, eos_token_id=tokenizer.eos_token_id))

    async def main():
        calls = []
        for completion, answer in ROWS:
            resp = response(tokenizer, completion)
            text = tokenizer.decode(resp.output_tokens)  # what RLVRWorkflow passes
            assert text.endswith("<|im_end|>")
            calls.append(
                wrapper("Question?", text, resp.input_tokens, resp.output_tokens, answer=answer)
            )
        return await asyncio.gather(*calls)

    assert asyncio.run(main()) == [v.reward for v in verdicts]


def test_rlvr_workflow_loads_the_string_path_and_reads_truncation(tokenizer, url, monkeypatch):
    """`reward_fn="mmreward.clients.areal.reward_fn"` as a config names it; a completion that
    stops without EOS was cut at max_new_tokens and earns nothing."""
    monkeypatch.setenv("MMREWARD_URL", url)
    monkeypatch.setenv("MMREWARD_ADAPTER_RECIPE", "r1v")
    monkeypatch.setenv("MMREWARD_EOS_TOKEN_ID", str(tokenizer.eos_token_id))
    workflow = RLVRWorkflow(
        reward_fn="mmreward.clients.areal.reward_fn",
        gconfig=GenerationHyperparameters(max_new_tokens=64),
        tokenizer=tokenizer,
    )
    # as arun_episode does; a pool of its own, forked after the environment above is set
    workflow.reward_fn = import_from_string(workflow.reward_fn)
    workflow.async_reward_fn = AsyncRewardWrapper(workflow.reward_fn, max_workers=2)
    done = "<think>a</think><answer>3</answer>"
    data = {"messages": [{"role": "user", "content": "1+2?"}], "answer": "3"}

    async def main():
        return [
            await workflow._compute_rewards(response(tokenizer, done, finished), "1+2?", data)
            for finished in (True, False)
        ]

    assert asyncio.run(main()) == [1.0, 0.0]
