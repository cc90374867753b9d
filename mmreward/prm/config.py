"""PRM checkpoint formats and options, free of heavy imports: `Settings` and the CLI read them.

`PRM_FORMATS` is the one registry of checkpoint conventions: for each, the model class that
loads it, the head that turns its outputs into step probabilities, the default step separator
and the encoder that places the steps and their scoring positions. A new convention is one
entry here (plus its encoder in `encoding.py`); the loader, `Settings.prm_format` and the
`--prm-format` flag follow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mmreward.errors import InvalidInputError
from mmreward.prm.encoding import (
    Encoded,
    Tokenizer,
    encode_qwen_prm,
    encode_step_tag,
    encode_token_cls,
)

PRMFormat = str
"""A key of `PRM_FORMATS`."""

Encoder = Callable[[Tokenizer, str, Sequence[str], str, int], Encoded]
"""(tokenizer, problem, steps, separator, max_tokens) -> ids and scoring positions."""


@dataclass(frozen=True)
class PRMFormatSpec:
    description: str
    loader: Literal["token-classification", "causal-lm"]
    """token-classification: `AutoModelForTokenClassification` (or the checkpoint's own code);
    causal-lm: `AutoModelForCausalLM`, whose LM head is read at two tokens."""
    head: Literal["label-1", "good-token"]
    """label-1: softmax of the two labels, probability of label 1; good-token: softmax of the
    LM logits of the good and bad tokens at the tag, probability of the good one."""
    separator: str | None
    """What ends each step; None: the step tag (`PRMOptions.step_tag`)."""
    encode: Encoder


def _token_cls(tok: Tokenizer, problem: str, steps: Sequence[str], sep: str, cap: int) -> Encoded:
    return encode_token_cls(tok, problem, steps, separator=sep, max_tokens=cap)


def _qwen_prm(tok: Tokenizer, problem: str, steps: Sequence[str], sep: str, cap: int) -> Encoded:
    return encode_qwen_prm(tok, problem, steps, separator=sep, max_tokens=cap)


def _step_tag(tok: Tokenizer, problem: str, steps: Sequence[str], sep: str, cap: int) -> Encoded:
    return encode_step_tag(tok, problem, steps, tag=sep, max_tokens=cap)


PRM_FORMATS: Mapping[PRMFormat, PRMFormatSpec] = {
    "token-cls": PRMFormatSpec(
        "TRL stepwise token classifier: score at each separator", "token-classification",
        "label-1", "\n", _token_cls,
    ),
    "qwen-prm": PRMFormatSpec(
        "Qwen2.5-Math-PRM: chat template, each step closed by <extra_0>", "token-classification",
        "label-1", "<extra_0>", _qwen_prm,
    ),
    "step-tag-lm": PRMFormatSpec(
        "Math-Shepherd: causal LM, good/bad token logits at each step tag", "causal-lm",
        "good-token", None, _step_tag,
    ),
}  # fmt: skip


def prm_format_spec(name: PRMFormat) -> PRMFormatSpec:
    """The registered format `name`, or a 422 listing the known ones."""
    try:
        return PRM_FORMATS[name]
    except KeyError:
        known = ", ".join(PRM_FORMATS)
        raise InvalidInputError(f"unknown PRM format {name!r}; one of {known}") from None


PRM_CONFIG_FILE = "prm_config.json"
"""Written next to the weights by `mmreward prm train`: format, separator, max_tokens."""


@dataclass(frozen=True)
class PRMOptions:
    """Format-specific settings; defaults follow each checkpoint family's published convention.

    ``separator`` defaults to ``"\\n"`` (token-cls), ``<extra_0>`` (qwen-prm) or the step tag
    (step-tag-lm). A ``prm_config.json`` next to the weights overrides the defaults for the keys it
    holds; explicit options override both.
    """

    separator: str | None = None
    step_tag: str = "ки"
    good_token: str = "+"
    bad_token: str = "-"
    max_tokens: int | None = None
    trust_remote_code: bool = False
