"""Each checkpoint convention scores steps exactly as a direct transformers computation does."""

from __future__ import annotations

import pytest
import torch
from prm_checkpoints import build_every_prm_format
from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, AutoTokenizer

from mmreward.errors import InvalidInputError
from mmreward.prm.config import PRMOptions
from mmreward.prm.items import PRMItem
from mmreward.prm.loading import load_prm
from mmreward.prm.scorer import PRMScorer
from mmreward.prm.served import BatchingOptions

PROBLEM = "Tom has 5 apples and gives away 2. How many are left?"
STEPS = ["5 - 2 = 3", "so Tom has 3 apples left.", "The answer is 3."]
ITEMS = [
    PRMItem(problem="Compute: 3 + 4 * 2", steps=["4 * 2 = 8", "3 + 8 = 11", "The answer is 11."]),
    PRMItem(problem=PROBLEM, steps=STEPS),
    PRMItem(problem="what is 1 + 1?", steps=["1 + 1 = 2"]),
    PRMItem(
        problem="Compute: (7 - 2) * 3 - 10 + 6 * 4",
        steps=["7 - 2 = 5", "5 * 3 = 15", "15 - 10 = 5"],
    ),
    PRMItem(problem=PROBLEM * 3, steps=[*STEPS, *STEPS]),
]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    return build_every_prm_format(tmp_path_factory.mktemp("prm"))


@torch.inference_mode()
def direct_token_cls(path, problem, steps, separator="\n"):
    """TRL's PRMTrainer layout, written out by hand."""
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForTokenClassification.from_pretrained(path).eval()
    ids = [tok.bos_token_id] + tok(problem, add_special_tokens=False)["input_ids"]
    sep = tok(separator, add_special_tokens=False)["input_ids"]
    positions = []
    for step in steps:
        ids += tok(step, add_special_tokens=False)["input_ids"] + sep
        positions.append(len(ids) - 1)
    probs = model(torch.tensor([ids])).logits.softmax(-1)[0, :, 1]
    return probs[positions].tolist()


@torch.inference_mode()
def direct_qwen_prm(path, problem, steps):
    """The Qwen2.5-Math-PRM model card's recipe."""
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForTokenClassification.from_pretrained(path).eval()
    messages = [
        {
            "role": "system",
            "content": "Please reason step by step, and put your final answer within \\boxed{}.",
        },
        {"role": "user", "content": problem},
        {"role": "assistant", "content": "<extra_0>".join(steps) + "<extra_0>"},
    ]
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
    probs = model(ids).logits.softmax(-1)[0, :, 1]
    mask = ids[0] == tok.convert_tokens_to_ids("<extra_0>")
    return probs[mask].tolist()


@torch.inference_mode()
def direct_step_tag(path, problem, steps):
    """The Math-Shepherd model card's recipe: `+`/`-` logits at each `ки`."""
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    text = f"{problem} " + "\n".join(f"{step} ки" for step in steps)
    ids = torch.tensor([tok(text)["input_ids"]])
    candidates = [tok.convert_tokens_to_ids("+"), tok.convert_tokens_to_ids("-")]
    good = model(ids).logits[0][:, candidates].softmax(-1)[:, 0]
    return good[ids[0] == tok.convert_tokens_to_ids("ки")].tolist()


DIRECT = {
    "token-cls": direct_token_cls,
    "qwen-prm": direct_qwen_prm,
    "step-tag-lm": direct_step_tag,
}


@pytest.mark.parametrize("fmt", list(DIRECT))
def test_scores_match_direct_transformers(checkpoints, fmt):
    model = load_prm(checkpoints[fmt], fmt, device="cpu")
    for item in ITEMS:
        got = model.score_batch([model.encode(item.problem, item.steps)])[0]
        want = DIRECT[fmt](checkpoints[fmt], item.problem, item.steps)
        assert len(got) == len(item.steps)
        assert got == pytest.approx(want, abs=1e-5)


def test_step_tag_input_starts_with_the_tokenizers_bos(checkpoints):
    model = load_prm(checkpoints["step-tag-lm"], "step-tag-lm", device="cpu")
    encoded = model.encode(PROBLEM, STEPS)
    assert encoded.input_ids[0] == model.tokenizer.bos_token_id


@pytest.mark.parametrize("fmt", list(DIRECT))
@pytest.mark.parametrize("budget", [64, 100_000])
def test_scores_do_not_depend_on_the_batch(checkpoints, fmt, budget):
    alone = PRMScorer(checkpoints[fmt], fmt, device="cpu")
    together = PRMScorer(
        checkpoints[fmt],
        fmt,
        device="cpu",
        batching=BatchingOptions(max_batch_tokens=budget, max_wait_s=0.05),
    )
    try:
        single = [alone.score([item])[0].step_scores for item in ITEMS]
        batched = [r.step_scores for r in together.score(ITEMS[::-1])][::-1]
    finally:
        alone.close()
        together.close()
    for a, b in zip(single, batched, strict=True):
        assert a == pytest.approx(b, abs=1e-5)


def test_truncation_trims_the_problem_from_the_left_and_says_so(checkpoints):
    path = checkpoints["token-cls"]
    full = load_prm(path, "token-cls", device="cpu")
    whole = full.encode(PROBLEM, STEPS)
    limit = len(whole) - 5
    short = load_prm(path, "token-cls", device="cpu", options=PRMOptions(max_tokens=limit))
    encoded = short.encode(PROBLEM, STEPS)
    assert encoded.truncated
    assert len(encoded) == limit
    # What remains is bos + the problem's last tokens + the untouched steps.
    tok = full.tokenizer
    problem_ids = tok(PROBLEM, add_special_tokens=False)["input_ids"]
    kept = len(problem_ids) - 5
    assert encoded.input_ids[1 : 1 + kept] == problem_ids[5:]
    assert encoded.input_ids[1 + kept :] == whole.input_ids[1 + len(problem_ids) :]
    assert not whole.truncated


@pytest.mark.parametrize("fmt", ["qwen-prm", "step-tag-lm"])
def test_truncation_keeps_every_step_marker(checkpoints, fmt):
    full = load_prm(checkpoints[fmt], fmt, device="cpu")
    whole = full.encode(PROBLEM * 4, STEPS)
    short = load_prm(
        checkpoints[fmt], fmt, device="cpu", options=PRMOptions(max_tokens=len(whole) - 20)
    )
    encoded = short.encode(PROBLEM * 4, STEPS)
    assert encoded.truncated
    assert len(encoded) == len(whole) - 20
    marks = [encoded.input_ids[p] for p in encoded.score_positions]
    assert marks == [whole.input_ids[p] for p in whole.score_positions]
    # The steps' tokens, from the first step marker on, are identical.
    tail = len(whole) - whole.score_positions[0]
    assert encoded.input_ids[-tail:] == whole.input_ids[-tail:]


def test_steps_that_alone_exceed_the_limit_are_refused(checkpoints):
    short = load_prm(
        checkpoints["token-cls"], "token-cls", device="cpu", options=PRMOptions(max_tokens=8)
    )
    with pytest.raises(InvalidInputError, match="steps alone"):
        short.encode("Compute: 1 + 2", ["1 + 2 = 3", "The answer is 3."])


def test_a_step_marker_inside_the_text_is_refused(checkpoints):
    model = load_prm(checkpoints["qwen-prm"], "qwen-prm", device="cpu")
    with pytest.raises(InvalidInputError, match="step marker"):
        model.encode("sneaky <extra_0> problem", ["1 + 1 = 2"])


def test_checkpoint_with_its_own_code_needs_explicit_trust(checkpoints, tmp_path):
    import json
    import shutil

    path = tmp_path / "remote"
    shutil.copytree(checkpoints["qwen-prm"], path)
    config = json.loads((path / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_prm.PRMModel"}
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(InvalidInputError, match="trust-remote-code"):
        load_prm(path, "qwen-prm", device="cpu")
