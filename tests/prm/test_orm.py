"""Outcome reward models through the batcher agree with a direct transformers computation."""

from __future__ import annotations

import math

import pytest
import torch
from prm_checkpoints import build_orm
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from mmreward.prm.items import ORMItem
from mmreward.prm.orm import ORMScorer, sigmoid
from mmreward.prm.served import BatchingOptions

ITEMS = [
    ORMItem(prompt="what is 2 + 2?", response="2 + 2 = 4, so the answer is 4."),
    ORMItem(prompt="Tom has 5 apples and gives away 2. How many are left?", response="3"),
    ORMItem(prompt="Compute: 3 * (4 + 1)", response="4 + 1 = 5 and 3 * 5 = 15. The answer is 15."),
    ORMItem(prompt="", response="an empty prompt is fine"),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("orm")
    return {
        "bt-chat": build_orm(root / "bt", num_labels=1, chat=True),
        "2-label-plain": build_orm(root / "two", num_labels=2, chat=False),
    }


@torch.inference_mode()
def direct(path, prompt, response):
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    if tok.chat_template:
        messages = [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": response},
        ]
        text = tok.apply_chat_template(messages, tokenize=False)
        ids = tok(text, add_special_tokens=False)["input_ids"]
    else:
        ids = tok(prompt + "\n" + response)["input_ids"]
    logits = model(torch.tensor([ids])).logits[0]
    return float(logits[0]) if logits.numel() == 1 else float(logits[1] - logits[0])


@pytest.mark.parametrize("name", ["bt-chat", "2-label-plain"])
def test_scores_match_direct_transformers_alone_and_batched(models, name):
    path = models[name]
    scorer = ORMScorer(
        path, device="cpu", batching=BatchingOptions(max_batch_tokens=4096, max_wait_s=0.05)
    )
    try:
        batched = scorer.score(ITEMS)
        alone = [scorer.score([it])[0] for it in ITEMS]
    finally:
        scorer.close()
    for it, b, a in zip(ITEMS, batched, alone, strict=True):
        want = direct(path, it.prompt, it.response)
        assert b.score == pytest.approx(want, abs=1e-5)
        assert a.score == pytest.approx(b.score, abs=1e-5)
        assert b.reward == pytest.approx(1 / (1 + math.exp(-want)), abs=1e-6)
        assert b.truncated is False


def test_two_label_reward_is_the_probability_of_label_one(models):
    path = models["2-label-plain"]
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    with torch.inference_mode():
        ids = torch.tensor([tok("q\na")["input_ids"]])
        p_good = float(model(ids).logits[0].softmax(-1)[1])
    scorer = ORMScorer(path, device="cpu")
    try:
        (result,) = scorer.score([ORMItem(prompt="q", response="a")])
    finally:
        scorer.close()
    assert result.reward == pytest.approx(p_good, abs=1e-6)


def test_long_prompts_are_cut_from_the_left(models):
    path = models["bt-chat"]
    item = ORMItem(prompt="what is 2 + 2? " * 20, response="the answer is 4")
    short = ORMScorer(path, device="cpu", max_tokens=40)
    full = ORMScorer(path, device="cpu")
    try:
        (result,) = short.score([item])
        cut = short.encode([item])[0]
        whole = full.encode([item])[0]
    finally:
        short.close()
        full.close()
    assert result.truncated
    assert len(cut) == 40 < len(whole)
    # The template's head survives, the prompt loses its start, the response is intact.
    head = AutoTokenizer.from_pretrained(path)("<|im_start|>user\n", add_special_tokens=False)
    n_head = len(head["input_ids"])
    assert cut.input_ids[:n_head] == whole.input_ids[:n_head]
    assert cut.input_ids[n_head:] == whole.input_ids[len(whole) - 40 + n_head :]


def test_sigmoid_is_stable_at_the_extremes():
    assert sigmoid(0.0) == 0.5
    assert sigmoid(1000.0) == 1.0
    assert sigmoid(-1000.0) == 0.0
    assert sigmoid(2.0) + sigmoid(-2.0) == pytest.approx(1.0)
