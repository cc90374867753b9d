"""Format rewards with one written-down definition each.

Format rewards in the wild disagree (fullmatch or match, DOTALL or not, empty tags or not), so a
policy trained against one is scored differently by another. Ours, checked in linear time:

`think_answer`
    The response, after leading whitespace, is `<think>` THINK `</think>` optional whitespace
    `<answer>` ANSWER `</answer>` optional whitespace, and nothing else. THINK and ANSWER may span
    lines; THINK may be empty (a template with thinking switched off emits `<think></think>`);
    ANSWER must hold non-whitespace text. Each of the four tags appears exactly once; tags are
    lower-case and exact (`<Think>` or `<think >` are not tags).
    With `think_opened=True` (the chat template already put `<think>` into the prompt) the
    response must not contain `<think>` and starts directly with THINK.

`boxed`
    The response contains exactly one `\\boxed{...}` with balanced braces and non-empty content,
    and after its closing brace only whitespace and closing punctuation (`$ . ! * ) ] \\`), so
    `$\\boxed{5}$.` and `\\[\\boxed{5}\\]` pass and `\\boxed{5} cm`, `\\boxed{}` or two boxes fail.

`think_boxed`
    The `think_answer` rule for the think block, then the rest of the response satisfies `boxed`
    (EasyR1's math format, made strict: its `<think>.*</think>.*\\\\boxed\\{.*\\}.*` accepts any
    number of boxes and any text after them).
"""

from __future__ import annotations

import re
from typing import Any

from mmreward.errors import InvalidInputError
from mmreward.verifiers.extract import closing_brace
from mmreward.verifiers.verdict import Verdict

SPECS = ("think_answer", "boxed", "think_boxed")

_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
_ANSWER_OPEN, _ANSWER_CLOSE = "<answer>", "</answer>"
_BOXED = re.compile(r"\\boxed(?![A-Za-z])")
_BOX_TAIL = re.compile(r"[\s$.!*)\]\\]*")


class _Violation(Exception):
    """A format rule the response breaks; the message is the verdict's reason."""


def verify_format(
    response: str,
    reference: Any = None,
    *,
    options: list[str] | None = None,
    spec: str = "think_answer",
    think_opened: bool = False,
    **params: Any,
) -> Verdict:
    """Reward 1 when `response` has the layout `spec` names (see the module docstring), else 0.

    `reference` and `options` are ignored: format does not depend on the answer.
    """
    if params:
        raise InvalidInputError(f"unknown format settings: {', '.join(sorted(params))}")
    if spec not in SPECS:
        raise InvalidInputError(f"unknown format spec {spec!r}; known: {', '.join(SPECS)}")
    try:
        if spec == "think_answer":
            body = _after_think(response, think_opened)
            for tag in (_ANSWER_OPEN, _ANSWER_CLOSE):
                if tag in response[: len(response) - len(body)]:
                    raise _Violation(f"{tag} inside the think block")
            extracted = _answer_block(body)
        elif spec == "boxed":
            extracted = _final_box(response)
        else:
            extracted = _final_box(_after_think(response, think_opened))
    except _Violation as violation:
        return Verdict.judged(False, None, str(violation), spec=spec)
    return Verdict.judged(True, extracted, f"matches {spec}", spec=spec)


def _after_think(response: str, think_opened: bool) -> str:
    """Check the think block and return what follows `</think>`."""
    text = response.lstrip()
    opens = text.count(_THINK_OPEN)
    if think_opened:
        if opens:
            raise _Violation("<think> in a response whose prompt already opened it")
    else:
        if not text.startswith(_THINK_OPEN):
            raise _Violation("missing <think>" if not opens else "text before <think>")
        if opens > 1:
            raise _Violation("more than one <think>")
    closes = text.count(_THINK_CLOSE)
    if closes != 1:
        raise _Violation("missing </think>" if not closes else "more than one </think>")
    return text[text.index(_THINK_CLOSE) + len(_THINK_CLOSE) :]


def _answer_block(body: str) -> str:
    """Check that `body` is exactly one `<answer>` block (whitespace around) and return its text."""
    for tag in (_ANSWER_OPEN, _ANSWER_CLOSE):
        count = body.count(tag)
        if count != 1:
            raise _Violation(f"missing {tag}" if not count else f"more than one {tag}")
    body = body.strip()
    if not body.startswith(_ANSWER_OPEN):
        raise _Violation("text between </think> and <answer>")
    if not body.endswith(_ANSWER_CLOSE):
        raise _Violation(
            "text after </answer>" if _ANSWER_CLOSE in body else "<answer> is never closed"
        )
    answer = body[len(_ANSWER_OPEN) : -len(_ANSWER_CLOSE)].strip()
    if not answer:
        raise _Violation("empty <answer>")
    return answer


def _final_box(text: str) -> str:
    """Check for exactly one final `\\boxed{...}` and return its content."""
    boxes = list(_BOXED.finditer(text))
    if len(boxes) != 1:
        raise _Violation("no \\boxed{}" if not boxes else "more than one \\boxed{}")
    start = boxes[0].end()
    while start < len(text) and text[start].isspace():
        start += 1
    if start == len(text) or text[start] != "{":
        raise _Violation("\\boxed without a braced argument")
    end = closing_brace(text, start)
    if end is None:
        raise _Violation("unbalanced braces in \\boxed{}")
    content = text[start + 1 : end].strip()
    if not content:
        raise _Violation("empty \\boxed{}")
    if _BOX_TAIL.fullmatch(text, end + 1) is None:
        raise _Violation("text after the final \\boxed{}")
    return content
