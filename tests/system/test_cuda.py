"""The model paths on a GPU: bf16 + SDPA for the PRM/ORM, half precision for the detector.

Skipped where torch sees no CUDA device (as in CI): run ``pytest tests/system/test_cuda.py``
on a GPU.
bf16 keeps 8 bits of mantissa, so CUDA scores are compared with the CPU's fp32 ones to 0.03,
and decisions (first error, detected boxes) must agree.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prm_checkpoints import build_every_prm_format, build_orm

from mmreward.grounding.detector import YoloDetector
from mmreward.grounding.rewards import iou
from mmreward.grounding.synthetic import generate_scene
from mmreward.prm.items import ORMItem, PRMItem
from mmreward.prm.loading import load_prm
from mmreward.prm.metrics import first_error, first_error_f1
from mmreward.prm.orm import ORMScorer
from mmreward.prm.scorer import PRMScorer
from mmreward.prm.served import BatchingOptions
from mmreward.prm.synthetic import make_dataset

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

BF16_TOL = 0.03
ITEMS = [
    PRMItem(problem="Compute: 3 + 4 * 2", steps=["4 * 2 = 8", "3 + 8 = 11", "The answer is 11."]),
    PRMItem(problem="Tom has 5 apples and gives away 2.", steps=["5 - 2 = 3", "so 3 are left."]),
    PRMItem(problem="what is 1 + 1?", steps=["1 + 1 = 2"]),
]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("cuda")
    return {**build_every_prm_format(root), "orm": build_orm(root / "orm")}


@pytest.mark.parametrize("fmt", ["token-cls", "qwen-prm", "step-tag-lm"])
def test_every_format_loads_bf16_on_cuda_and_matches_the_cpu(checkpoints, fmt):
    gpu = load_prm(checkpoints[fmt], fmt, device="auto")
    cpu = load_prm(checkpoints[fmt], fmt, device="cpu")
    assert gpu.device.type == "cuda"
    assert gpu.model.dtype == torch.bfloat16
    encoded = [cpu.encode(it.problem, it.steps) for it in ITEMS]
    for got, want in zip(gpu.score_batch(encoded), cpu.score_batch(encoded), strict=True):
        assert got == pytest.approx(want, abs=BF16_TOL)


def test_bundled_prm_on_cuda_keeps_its_f1_and_batching_keeps_decisions():
    chains = make_dataset(600, seed=4242)
    items = [PRMItem(problem=c.problem, steps=c.steps) for c in chains]
    batched = PRMScorer(device="auto", batching=BatchingOptions(max_wait_s=0.05))
    try:
        many = batched.score(items)
        alone = [batched.score([item])[0] for item in items[:60]]
    finally:
        batched.close()
    result = first_error_f1([s.first_error for s in many], [c.first_error for c in chains])
    assert result.f1 >= 0.9
    for one, together in zip(alone, many, strict=False):
        assert one.step_scores == pytest.approx(together.step_scores, abs=BF16_TOL)
    flips = sum(
        first_error(one.step_scores) != first_error(together.step_scores)
        for one, together in zip(alone, many, strict=False)
    )
    assert flips <= 1  # a score sitting on the threshold may round either way in bf16


def test_orm_on_cuda_matches_the_cpu(checkpoints):
    items = [
        ORMItem(prompt="What is 2 + 2?", response="4"),
        ORMItem(prompt="Name a colour.", response="blue, like the sky"),
    ]
    gpu, cpu = (
        ORMScorer(checkpoints["orm"], device="auto"),
        ORMScorer(checkpoints["orm"], device="cpu"),
    )
    try:
        got, want = gpu.score(items), cpu.score(items)
    finally:
        gpu.close()
        cpu.close()
    for g, w in zip(got, want, strict=True):
        assert g.reward == pytest.approx(w.reward, abs=BF16_TOL)


def test_detector_in_half_precision_finds_what_the_cpu_finds():
    rng = np.random.default_rng(77)
    images = [generate_scene(rng).image for _ in range(16)]
    gpu, cpu = YoloDetector(device="auto"), YoloDetector(device="cpu")
    try:
        assert gpu.device.startswith("cuda")
        on_gpu, on_cpu = gpu.detect(images), cpu.detect(images)
    finally:
        gpu.close()
        cpu.close()
    matched = total = 0
    for g_dets, c_dets in zip(on_gpu, on_cpu, strict=True):
        total += len(c_dets)
        matched += sum(
            any(g.cls == c.cls and iou(g.box, c.box) > 0.9 for g in g_dets) for c in c_dets
        )
    assert total > 0
    assert matched >= 0.95 * total


def test_engine_on_auto_runs_every_model_on_the_gpu_with_one_lane():
    from mmreward.engine import Engine
    from mmreward.settings import Settings

    with Engine(Settings(sandbox_workers=1, device="auto")) as engine:
        assert engine.device == "cuda:0"
        assert engine.compute.lanes == 1
        results = engine.prm_score(ITEMS)
        assert [r.error for r in results] == [None, None, None]
        assert [len(r.step_scores) for r in results] == [len(it.steps) for it in ITEMS]
