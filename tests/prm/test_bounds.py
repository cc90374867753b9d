"""PRM items over the model's window are refused after tokenizing a bounded prefix of their
steps, not all of them; items that fit are scored as before."""

from __future__ import annotations

import pytest

from mmreward.prm.items import PRMItem
from mmreward.prm.scorer import PREFIX_CHARS_PER_TOKEN, PRMScorer


@pytest.fixture(scope="module")
def scorer():
    found = PRMScorer(device="cpu")
    yield found
    found.close()


def test_over_long_steps_are_refused_after_a_bounded_prefix(scorer, monkeypatch):
    model = scorer.served.model
    window = model.max_tokens
    tokenized: list[int] = []
    real = model.tokenizer.__class__.__call__

    def counting(self, text, *args, **kwargs):
        tokenized.append(len(text) if isinstance(text, str) else sum(len(t) for t in text))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(model.tokenizer.__class__, "__call__", counting)
    step = "Compute: 3 + 4 = 7. " * 2_000  # 40,000 characters, far over any small window
    items = [PRMItem(problem="3 + 4?", steps=[step, step])] * 8
    items.append(PRMItem(problem="3 + 4?", steps=["Compute: 3 + 4 = 7"]))
    results = scorer.score_each(items)
    assert all(r.error and "the model's limit" in r.error for r in results[:8])
    assert results[8].error is None
    assert len(results[8].step_scores) == 1
    over = [n for n in tokenized if n > PREFIX_CHARS_PER_TOKEN * window]
    assert over == []  # no item's whole 80,000 characters went through the tokenizer
