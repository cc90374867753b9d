"""slime's own reward hub (`slime.rollout.rm_hub`) calling `mmreward.clients.slime`.

slime is not on PyPI. With `MMREWARD_SLIME_SRC` pointing at a checkout of THUDM/slime (checked
against commit 624b824a8), `async_rm` and `batched_async_rm` load `--custom-rm-path` with slime's
own `load_function` and await our functions on real `Sample`s, per sample and in group mode.
Without a checkout those tests are skipped, and the loading convention itself (a dotted path
imported with importlib, `await f(args, sample)` / `await f(args, samples)` on objects with
slime's fields) is checked on plain objects.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import weakref
from argparse import Namespace
from types import SimpleNamespace

import pytest
from live_server import LiveServer

from mmreward import LocalClient
from mmreward.clients import _adapt
from mmreward.items import VerifyItem
from mmreward.service import create_app
from mmreward.settings import Settings

SAMPLES = [
    # (response as slime's rollout decodes it, label, status)
    ("The answer is \\boxed{5}.<|im_end|>", "5", "completed"),
    ("#### 1,234", "1234", "completed"),
    ("so it is \\boxed{6}", "5", "completed"),
    ("\\boxed{\\frac{1}{2}}", "0.5", "completed"),
    ("I give up.", "7", "completed"),
    ("The answer is \\boxed{5}", "5", "truncated"),
]
SINGLE = "mmreward.clients.slime.reward"
GROUP = "mmreward.clients.slime.group_reward"


@pytest.fixture(scope="module")
def local():
    with LocalClient(Settings(sandbox_workers=1)) as client:
        yield client


@pytest.fixture(scope="module")
def url(local):
    with LiveServer(create_app(engine=local.engine)) as address:
        yield address


@pytest.fixture
def on_server(url, monkeypatch):
    monkeypatch.setenv("MMREWARD_URL", url)
    monkeypatch.delenv("MMREWARD_ADAPTER_RECIPE", raising=False)
    monkeypatch.setattr(_adapt, "_shared_async", weakref.WeakKeyDictionary())


def expected(local) -> list[float]:
    done = [(r.removesuffix("<|im_end|>"), a) for r, a, s in SAMPLES if s == "completed"]
    verdicts = local.verify([VerifyItem(response=r, reference=a) for r, a in done])
    return [v.reward for v in verdicts] + [0.0]  # the cut one earns nothing


def load_function(path: str):
    """slime's convention for `--custom-rm-path`: a dotted path, the last part an attribute."""
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def test_the_loading_convention_on_plain_samples(local, on_server):
    samples = [
        SimpleNamespace(
            prompt=[{"role": "user", "content": "Question?"}],
            response=r,
            label=a,
            metadata={},
            status=SimpleNamespace(value=s),
            remove_sample=False,
        )
        for r, a, s in SAMPLES
    ]
    args = Namespace(custom_rm_path=SINGLE, group_rm=False)

    async def main():
        single = load_function(SINGLE)
        each = await asyncio.gather(*(single(args, s) for s in samples))
        return each, await load_function(GROUP)(args, samples)

    each, group = asyncio.run(main())
    assert each == expected(local)
    assert group == expected(local)


@pytest.fixture(scope="module")
def slime():
    source = os.environ.get("MMREWARD_SLIME_SRC")
    if not source:
        pytest.skip("MMREWARD_SLIME_SRC (a THUDM/slime checkout) is not set")
    sys.path.insert(0, source)
    try:
        from slime.rollout import rm_hub
        from slime.utils.types import Sample

        yield rm_hub, Sample
    finally:
        sys.path.remove(source)


def slime_samples(Sample, metadata=None):
    status = {"completed": Sample.Status.COMPLETED, "truncated": Sample.Status.TRUNCATED}
    return [
        Sample(
            prompt="Question?",
            response=r,
            label=a,
            status=status[s],
            metadata=dict(metadata or {}),
        )
        for r, a, s in SAMPLES
    ]


def test_slime_async_rm_awaits_the_single_sample_function(slime, local, on_server):
    rm_hub, Sample = slime
    args = Namespace(custom_rm_path=SINGLE, rm_type=None, group_rm=False)
    samples = slime_samples(Sample)

    async def main():
        return await asyncio.gather(*(rm_hub.async_rm(args, s) for s in samples))

    assert asyncio.run(main()) == expected(local)


def test_slime_group_mode_scores_the_group_in_one_call(slime, local, on_server):
    rm_hub, Sample = slime
    args = Namespace(custom_rm_path=GROUP, rm_type=None, group_rm=True)
    rewards = asyncio.run(rm_hub.batched_async_rm(args, slime_samples(Sample)))
    assert rewards == expected(local)


def test_slime_metadata_picks_the_recipe_per_sample(slime, on_server):
    rm_hub, Sample = slime
    args = Namespace(custom_rm_path=GROUP, rm_type=None, group_rm=True)
    samples = slime_samples(Sample, {"recipe": "r1v"})[:2]
    samples[0].response = "<think>a</think><answer>5</answer>"
    assert asyncio.run(rm_hub.batched_async_rm(args, samples)) == [1.0, 0.5]
