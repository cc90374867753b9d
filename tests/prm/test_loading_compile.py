"""The compiled forward (`--compile-models`) scores as the eager one, at every batch size."""

from __future__ import annotations

import asyncio
import random

import pytest

from mmreward.prm.items import PRMItem
from mmreward.prm.loading import load_prm
from mmreward.prm.scorer import PRMScorer
from mmreward.prm.served import BatchingOptions
from mmreward.prm.synthetic import make_chain

pytestmark = pytest.mark.slow


def test_compiled_bundled_prm_matches_eager_alone_and_in_batches():
    eager = load_prm(None, device="cpu")
    compiled = load_prm(None, device="cpu", compile_model=True)
    rng = random.Random(5)
    chains = [make_chain(rng) for _ in range(7)]
    items = [eager.encode(c.problem, c.steps) for c in chains]
    reference = eager.score_batch(items)
    batches = [compiled.score_batch([it])[0] for it in items[:3]] + compiled.score_batch(items[3:])
    assert compiled.forward.compiled, "the compiled path fell back to eager"
    for got, want in zip(batches, reference, strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    assert compiled.score_batch(items) == [pytest.approx(w, abs=1e-5) for w in reference]


def test_warm_up_compiles_before_the_first_request():
    scorer = PRMScorer(device="cpu", batching=BatchingOptions(), compile_model=True)
    try:
        asyncio.run(scorer.served.warm_up())
        assert scorer.served.model.forward.compiled
        item = PRMItem(
            problem="Compute: 2 * 3 + 4", steps=["2 * 3 = 6", "6 + 4 = 11", "The answer is 11."]
        )
        result = scorer.score([item])[0]
        assert result.first_error == 1, result.step_scores
    finally:
        scorer.close()
