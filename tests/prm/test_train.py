"""Synthetic chains, the trainer, the metric, and the bundled PRM's accuracy."""

from __future__ import annotations

import json
import random
import re

import pytest
import torch

from mmreward.errors import InvalidInputError
from mmreward.prm.evaluate import predicted_first_errors
from mmreward.prm.items import PRMItem
from mmreward.prm.metrics import first_error, first_error_f1
from mmreward.prm.scorer import PRMScorer
from mmreward.prm.synthetic import make_chain, make_dataset
from mmreward.prm.train import TrainConfig, read_stepwise_jsonl, train

STEP = re.compile(r"^(-?\d+) ([+*-]) (-?\d+) = (-?\d+)$")
ANSWER = re.compile(r"^The answer is (-?\d+)\.$")


def evaluate_expression(text: str) -> int:
    """Independent recursive-descent evaluation of `+ - *` with parentheses."""
    tokens = re.findall(r"\d+|[()+*-]", text)
    pos = 0

    def atom() -> int:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            value = expr()
            pos += 1  # ")"
            return value
        return int(tok)

    def term() -> int:
        nonlocal pos
        value = atom()
        while pos < len(tokens) and tokens[pos] == "*":
            pos += 1
            value *= atom()
        return value

    def expr() -> int:
        nonlocal pos
        value = term()
        while pos < len(tokens) and tokens[pos] in "+-":
            op = tokens[pos]
            pos += 1
            value = value + term() if op == "+" else value - term()
        return value

    return expr()


def apply(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def test_correct_chains_compute_the_expression_step_by_step():
    for chain in make_dataset(400, seed=11, error_p=0.0):
        assert chain.problem.startswith("Compute: ")
        expression = chain.problem.removeprefix("Compute: ")
        operands = re.findall(r"\d+", expression)
        assert 3 <= len(operands) <= 5
        assert all(1 <= int(x) <= 12 for x in operands)
        assert len(chain.steps) == len(operands)  # n - 1 operations + the answer
        results = []
        for step in chain.steps[:-1]:
            a, op, b, r = STEP.match(step).groups()
            assert apply(int(a), op, int(b)) == int(r)
            assert abs(int(r)) <= 300
            results.append(int(r))
        answer = int(ANSWER.match(chain.steps[-1]).group(1))
        assert answer == results[-1] == evaluate_expression(expression)
        assert chain.first_error == -1
        assert all(chain.labels)


def test_erroneous_chains_have_one_first_error_and_trl_labels():
    kinds = set()
    for chain in make_dataset(400, seed=12, error_p=1.0):
        k = chain.first_error
        kinds.add(chain.error_kind)
        assert 0 <= k < len(chain.steps)
        assert chain.labels == [i < k for i in range(len(chain.steps))]
        if chain.error_kind == "result":
            a, op, b, r = STEP.match(chain.steps[k]).groups()
            assert 1 <= abs(apply(int(a), op, int(b)) - int(r)) <= 10
        if chain.error_kind == "operand":
            a, op, b, r = STEP.match(chain.steps[k]).groups()
            assert apply(int(a), op, int(b)) == int(r)  # consistent arithmetic, wrong operand
        # Steps after the error are arithmetically consistent with the wrong value.
        for step in chain.steps[k + 1 : -1]:
            a, op, b, r = STEP.match(step).groups()
            assert apply(int(a), op, int(b)) == int(r)
    assert kinds == {"result", "operand", "answer"}


def test_same_seed_same_chains():
    assert make_dataset(50, seed=3) == make_dataset(50, seed=3)
    assert make_dataset(50, seed=3) != make_dataset(50, seed=4)


def test_first_error_f1_is_the_harmonic_mean_of_both_accuracies():
    truth = [-1, -1, -1, -1, 2, 0, 1, 3]
    predicted = [-1, -1, 0, -1, 2, 1, 1, -1]  # correct: 3/4, erroneous: 2/4
    result = first_error_f1(predicted, truth)
    assert result.correct_accuracy == 0.75
    assert result.error_accuracy == 0.5
    assert result.f1 == pytest.approx(2 * 0.75 * 0.5 / 1.25)
    assert first_error([0.9, 0.7, 0.4, 0.2]) == 2
    assert first_error([0.9, 0.7], threshold=0.8) == 1
    assert first_error([0.9, 0.7], threshold=0.5) == -1


def _write(path, chains):
    with path.open("w") as fh:
        for chain in chains:
            fh.write(json.dumps(chain.to_record()) + "\n")


def test_bad_records_are_refused_with_their_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "p", "completions": ["a", "b"], "labels": [true]}\n')
    with pytest.raises(InvalidInputError, match=r"bad\.jsonl:1"):
        read_stepwise_jsonl(path)


@pytest.mark.slow
def test_trainer_writes_a_checkpoint_the_scorer_loads(tmp_path):
    data, held_out = tmp_path / "train.jsonl", tmp_path / "eval.jsonl"
    _write(data, make_dataset(200, seed=21))
    _write(held_out, make_dataset(40, seed=22))
    out = tmp_path / "ckpt"
    cfg = TrainConfig(
        data=data,
        out=out,
        eval_data=held_out,
        hidden_size=32,
        layers=2,
        heads=2,
        lm_steps=4,
        steps=6,
        batch_size=16,
        eval_every=3,
        device="cpu",
    )
    result = train(cfg)
    assert result is not None
    assert 0.0 <= result.f1 <= 1.0
    meta = json.loads((out / "prm_config.json").read_text())
    assert meta["format"] == "token-cls"
    chain = make_chain(random.Random(5))
    scorer = PRMScorer(out, device="cpu")
    try:
        (scored,) = scorer.score([PRMItem(problem=chain.problem, steps=chain.steps)])
    finally:
        scorer.close()
    assert len(scored.step_scores) == len(chain.steps)
    # Training again from the checkpoint (a user's `--init`) works too.
    again = TrainConfig(data=data, out=tmp_path / "again", init=out, lm_steps=2, steps=2)
    assert train(again) is None
    assert (tmp_path / "again" / "model.safetensors").is_file()


@pytest.mark.slow
def test_bundled_prm_finds_first_errors_on_fresh_chains():
    """The shipped model on chains it never saw (a seed used neither in training nor tuning)."""
    chains = make_dataset(2000, seed=9_876_543)
    items = [PRMItem(problem=c.problem, steps=c.steps) for c in chains]
    predicted = predicted_first_errors(items, device="cpu")
    result = first_error_f1(predicted, [c.first_error for c in chains])
    assert result.f1 >= 0.9, result.summary()


def test_hard_case_options_oversample_long_chains_and_last_operation_errors():
    chains = make_dataset(600, seed=31, operand_weights=(0, 0, 1), last_error_p=1.0, error_p=1.0)
    assert all(len(c.steps) == 5 for c in chains)  # 4 operations + the answer
    step_errors = [c for c in chains if c.error_kind != "answer"]
    assert step_errors
    assert all(c.first_error == 3 for c in step_errors)
    # Unset, neither option draws from the stream: the default chains stay what they were.
    assert make_dataset(50, seed=3, operand_weights=None, last_error_p=0.0) == make_dataset(
        50, seed=3
    )


def test_deepened_model_starts_as_the_same_function():
    from transformers import AutoModelForTokenClassification, LlamaConfig

    from mmreward.prm.train import deepened

    config = LlamaConfig(
        vocab_size=40,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=3,
        num_attention_heads=2,
        num_key_value_heads=2,
        num_labels=2,
    )
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_config(config).eval()
    grown = deepened(model, 2).eval()
    assert grown.config.num_hidden_layers == 5
    ids = torch.randint(0, 40, (2, 12))
    with torch.no_grad():
        before, after = model(ids).logits, grown(ids).logits
    assert torch.allclose(before, after, atol=1e-6)
    # The new layers (after old layers 0 and 2) get gradients: training moves them.
    grown.train()
    grown(ids).logits.square().sum().backward()
    for new in (1, 4):
        layer = grown.base_model.layers[new]
        assert float(layer.self_attn.o_proj.weight.detach().abs().sum()) == 0.0
        assert float(layer.self_attn.o_proj.weight.grad.abs().sum()) > 0.0
        assert float(layer.mlp.down_proj.weight.grad.abs().sum()) > 0.0
    with pytest.raises(InvalidInputError, match="add_layers"):
        deepened(model, 4)
