"""Turn (problem, steps) into token ids plus the positions where each step is scored.

One function per checkpoint convention. Each returns an `Encoded`: the ids, the index of the token
whose logits score each step, and whether the problem had to be trimmed to fit ``max_tokens``.
The truncation policy is the same everywhere: the steps are what is being scored, so they are kept
whole and the problem is cut from the left; if the steps alone do not fit, the item is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mmreward.errors import InvalidInputError

Tokenizer = Any  # a transformers tokenizer; typed loosely because its stubs are partial


@dataclass(frozen=True)
class Encoded:
    """Token ids of one item and the positions whose logits score its steps."""

    input_ids: list[int]
    score_positions: list[int]
    steps_start: int
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.input_ids)


def _ids(tokenizer: Tokenizer, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _fit(
    head: list[int], problem: list[int], tail: list[int], max_tokens: int
) -> tuple[list[int], bool]:
    """``head + problem + tail`` with the problem cut from the left to fit ``max_tokens``."""
    room = max_tokens - len(head) - len(tail)
    if room < 0:
        raise InvalidInputError(
            f"the steps alone take {len(head) + len(tail)} tokens, over the model's limit of "
            f"{max_tokens}; send fewer or shorter steps"
        )
    if len(problem) <= room:
        return head + problem + tail, False
    return head + (problem[len(problem) - room :] if room else []) + tail, True


def encode_token_cls(
    tokenizer: Tokenizer,
    problem: str,
    steps: Sequence[str],
    *,
    separator: str = "\n",
    max_tokens: int,
) -> Encoded:
    """TRL stepwise convention: [bos] + problem + (step + separator)*; score at separator ends."""
    sep = _ids(tokenizer, separator)
    if not sep:
        raise InvalidInputError(f"the separator {separator!r} encodes to no tokens")
    head = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    tail: list[int] = []
    ends: list[int] = []
    for step in steps:
        tail += _ids(tokenizer, step) + sep
        ends.append(len(tail) - 1)
    ids, truncated = _fit(head, _ids(tokenizer, problem), tail, max_tokens)
    offset = len(ids) - len(tail)
    return Encoded(ids, [offset + e for e in ends], offset, truncated)


def _spanned(
    tokenizer: Tokenizer,
    text: str,
    problem_span: tuple[int, int],
    mark_ends: Sequence[int],
    *,
    add_special_tokens: bool,
    max_tokens: int,
) -> Encoded:
    """Tokenize ``text`` whole and map character offsets to tokens.

    ``mark_ends`` are the character offsets just past each step marker; a step is scored at the
    token that holds the marker's last character. When the text is too long, problem tokens are
    dropped from the left, so the rest keeps exactly the ids of the untruncated text.
    """
    enc = tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
    ids: list[int] = list(enc["input_ids"])
    offsets: list[tuple[int, int]] = [tuple(o) for o in enc["offset_mapping"]]
    positions = []
    for end in mark_ends:
        hit = next((i for i, (a, b) in enumerate(offsets) if a < end <= b), None)
        if hit is None:
            raise InvalidInputError("a step marker was lost in tokenization")
        positions.append(hit)
    excess = len(ids) - max_tokens
    if excess <= 0:
        return Encoded(ids, positions, positions[0] if positions else len(ids))
    too_long = (
        f"the steps alone take over {max_tokens} tokens, the model's limit; "
        "send fewer or shorter steps"
    )
    keep = cut_from_left(offsets, problem_span, excess, too_long)
    new_index = {old: new for new, old in enumerate(keep)}
    kept_positions = [new_index[p] for p in positions]
    return Encoded([ids[i] for i in keep], kept_positions, kept_positions[0], True)


def cut_from_left(
    offsets: Sequence[Sequence[int]], span: tuple[int, int], excess: int, too_long: str
) -> list[int]:
    """The tokens kept (their indices) once the `excess` leftmost tokens inside the character
    span `span` (the problem, the prompt) are dropped; `too_long` refuses an item whose span
    holds fewer."""
    p0, p1 = span
    inside = [i for i, (a, b) in enumerate(offsets) if p0 <= a and b <= p1 and b > a]
    if excess > len(inside):
        raise InvalidInputError(too_long)
    drop = set(inside[:excess])
    return [i for i in range(len(offsets)) if i not in drop]


def around(tokenizer: Tokenizer, messages: list[dict[str, str]], sentinel: str) -> tuple[str, str]:
    """The chat template's text before and after `sentinel`, the content of one message."""
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    if text.count(sentinel) != 1:
        raise InvalidInputError("the chat template does not place the user message once")
    before, after = text.split(sentinel)
    return before, after


def _check_free_of(marker: str, problem: str, steps: Sequence[str]) -> None:
    if marker in problem or any(marker in s for s in steps):
        raise InvalidInputError(f"problem and steps must not contain the step marker {marker!r}")


QWEN_PRM_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."


def encode_qwen_prm(
    tokenizer: Tokenizer,
    problem: str,
    steps: Sequence[str],
    *,
    separator: str = "<extra_0>",
    system: str = QWEN_PRM_SYSTEM,
    max_tokens: int,
) -> Encoded:
    """Qwen2.5-Math-PRM convention: chat template, steps each closed by ``<extra_0>``."""
    _check_free_of(separator, problem, steps)
    sentinel = "\x00PROBLEM\x00"
    answer = "".join(step + separator for step in steps)
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": sentinel},
        {"role": "assistant", "content": answer},
    ]
    before, after = around(tokenizer, messages, sentinel)
    text = before + problem + after
    base = len(before) + len(problem) + after.index(answer)
    ends, cursor = [], base
    for step in steps:
        cursor += len(step) + len(separator)
        ends.append(cursor)
    return _spanned(
        tokenizer,
        text,
        (len(before), len(before) + len(problem)),
        ends,
        add_special_tokens=False,
        max_tokens=max_tokens,
    )


def encode_step_tag(
    tokenizer: Tokenizer,
    problem: str,
    steps: Sequence[str],
    *,
    tag: str = "ки",
    max_tokens: int,
) -> Encoded:
    """Math-Shepherd convention: ``problem step1 ки\nstep2 ки...``; score at each tag."""
    _check_free_of(tag, problem, steps)
    text = problem + " "
    ends = []
    for i, step in enumerate(steps):
        text += ("\n" if i else "") + f"{step} {tag}"
        ends.append(len(text))
    return _spanned(
        tokenizer,
        text,
        (0, len(problem)),
        ends,
        add_special_tokens=True,
        max_tokens=max_tokens,
    )
