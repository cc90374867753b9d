"""The `math` verifier: is the final answer of a response the reference answer?

Pipeline (cheap, bounded steps in the caller; only the numeric comparison in the sandbox):

1. extract the final answer (`extract.py`: `\\boxed{}` (boxes side by side are one list),
   `<answer>`, "the answer is", …), after the last `</think>`; a phrase-marked sentence gives
   the value it states ("The largest $n$ is 34.");
2. split off a unit of measure on either side (`units.py`): on both sides they must be of one
   dimension, currency or noun (else `unit_mismatch`) and the answer is converted into the
   reference's unit; angles in `rad` become degrees; a unit on one side only leaves the
   numbers as written;
3. normalise both sides' notation (`latex.normalize`) and parse them into trees
   (`latex.parse_answer`; the reference's parse is cached, GRPO groups share references);
4. with `evaluated`, refuse an unevaluated answer (`37+48`) to a plain-number reference;
5. refuse exponent towers, giant factorials and the like (`guards.check_magnitude`);
6. compare structure and values (`compare.equivalent`) with exact rational arithmetic; that
   settles plain numbers, fractions, sets and tuples of them right here;
7. otherwise the same comparison with 60-digit numeric evaluation: right here when both trees
   are small (`guards.is_cheap`: a bounded handful of microseconds), else as a `Deferred` job
   in the sandbox; answers our parser cannot read go to latex2sympy2 + sympy there. Steps 6
   and 7 in the caller are kept per pair of texts: a GRPO group repeats its answers.

`details` carries `marker` (where the answer was found, see `extract.Marker`) and `via` (what
decided: `text`, `units`, `exact`, `numeric`, `sympy`, `guard`).

Reason codes (pinned by tests): ok/True `same_text`, `equal`, `symbolic`; ok/False `not_equal`,
`shape_mismatch`, `text_mismatch`, `unit_mismatch`, `not_evaluated`, `magnitude_mismatch`,
`unparsable_answer`, `symbolic`;
no_answer `no_answer`; unparsable_reference `unparsable_reference`, `reference_too_long`,
`reference_too_large`; error `answer_too_long`, `answer_too_complex`, `answer_too_large`.
"""

from __future__ import annotations

import math as _pymath
import numbers
import re
import threading
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from mmreward.errors import InvalidInputError
from mmreward.verifiers.choice import judge_choice
from mmreward.verifiers.compare import (
    EXACT_LEAVES,
    NUMERIC_LEAVES,
    Match,
    Undecided,
    equivalent,
    has_big_operator,
    no_solution,
)
from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.extract import extract_final_answer, sentence_value
from mmreward.verifiers.guards import TooLargeError, check_magnitude, is_cheap, is_growing_tower
from mmreward.verifiers.latex import (
    MAX_ANSWER_CHARS,
    MAX_DEPTH,
    LatexError,
    TooComplexError,
    normalize,
    parse_answer,
    text_form,
)
from mmreward.verifiers.mathtree import Div, Neg, Node, Num, Percent, Relation, Text
from mmreward.verifiers.numbers import NotExact, exact_value
from mmreward.verifiers.text import after_reasoning
from mmreward.verifiers.units import Mismatch, Unit, convert, split_unit
from mmreward.verifiers.units_latex import converted, in_degrees
from mmreward.verifiers.verdict import Verdict
from mmreward.verifiers.wording import same_wording

MAX_REFERENCE_CHARS = MAX_ANSWER_CHARS
_MPMATH = threading.Lock()
"""mpmath's precision is one global setting: callers verifying in several threads (the engine's
`to_thread`) would otherwise change it under each other's comparisons."""
_PHRASE_MARKERS = frozenset({"answer_is", "answer_colon", "answer_tag"})
# `\\text{(B) } 12`, `\\textbf{(B) }12`, `(B) 12`: an option letter, then that option's value
_CHOICE_LABEL = re.compile(
    r"(\\text(?:bf|rm|normal)?\s*\{)?\s*\(([A-J])\)\s*(\})?\s*([^\s}].{0,200}?)\s*$"
)
_CHOICE_LETTER = re.compile(r"\s*(?:\\text(?:bf|rm|normal)?\s*\{)?\s*\(?([A-J])\)?\s*\}?\s*")


def verify_math(
    response: str,
    reference: Any,
    *,
    options: list[str] | None = None,
    evaluated: bool = False,
    **params: Any,
) -> Verdict | Deferred:
    """Judge a math answer (see the module docstring); `options` makes it multiple choice.

    `evaluated`: against a reference that is a plain number (`85`, `-3`, `\\frac{2}{7}`,
    `0.25`, `12\\%`), only a plain number is an answer; `37+48`, `80+5`, `\\frac{170}{2}`,
    `4!`, `\\sqrt{16}` are `not_evaluated` (wrong), so a policy cannot copy the question.
    Off by default, as other graders judge; the built-in RL recipes turn it on.
    """
    if params:
        raise InvalidInputError(f"unknown math settings: {', '.join(sorted(params))}")
    if not isinstance(evaluated, bool):
        raise InvalidInputError("evaluated must be true or false")
    if options:
        return judge_choice(response, reference, options).with_details(delegated_to="choice")
    prepared = _prepare_reference(_reference_text(reference))
    if isinstance(prepared, Verdict):
        return prepared
    ref_text, ref_node, ref_unit = prepared

    extraction = extract_final_answer(after_reasoning(response))
    if extraction is None or not extraction.text:
        if ref_node is None:  # only sympy may read the reference: an unreadable one abstains
            return Deferred(fn=_no_answer, args=(ref_text,), fallback=_no_answer_verdict())
        return _no_answer_verdict()
    answer, marker = extraction.text, extraction.marker
    if marker in _PHRASE_MARKERS:
        answer = sentence_value(answer)
    if len(answer) > MAX_ANSWER_CHARS:
        return Verdict.failed("error", "answer_too_long", extracted=answer[:200], marker=marker)
    written, ans_unit = _read_answer(answer)
    ans_text = written
    if ans_unit is not None and ans_unit.kind == "angle":
        ans_text = in_degrees(ans_text, ans_unit)
    elif ans_unit is not None and ref_unit is not None and ref_unit.kind != "angle":
        conversion = convert(ans_unit, ref_unit)
        if isinstance(conversion, Mismatch):
            return Verdict.judged(
                False, answer, "unit_mismatch", marker=marker, via="units", why=conversion.why
            )
        ans_text = converted(ans_text, conversion)
    ans_letter, ans_value = _choice_parts(ans_text)
    ref_letter, ref_value = _choice_parts(ref_text)
    if ans_letter and ref_letter and (ans_value or ref_value):
        same = ans_letter == ref_letter  # `(B) 12` against `B` or `\textbf{(B) }12`
        reason = "same_text" if same else "text_mismatch"
        return Verdict.judged(same, answer, reason, marker=marker, via="text")
    if ans_value and not ref_letter:
        ans_text = ans_value  # `(B) 12` against `12`: the option's value is the answer
    elif ref_value and not ans_letter:
        prepared = _prepare_reference(ref_value)
        if isinstance(prepared, Verdict):
            return prepared
        ref_text, ref_node, _ = prepared
    if ans_text == ref_text or (
        isinstance(ref_node, Text) and same_wording(text_form(ans_text), ref_node.value)
    ):
        return Verdict.judged(True, answer, "same_text", marker=marker, via="text")
    try:
        ans_node: Node | None = parse_answer(ans_text)
    except TooComplexError:
        return Verdict.failed("error", "answer_too_complex", extracted=answer[:200], marker=marker)
    except LatexError:
        ans_node = None

    if evaluated and is_plain_number(ref_node) and not _written_plain(written, ans_node):
        return Verdict.judged(False, answer, "not_evaluated", marker=marker, via="text")
    if ref_node is None or ans_node is None:
        if isinstance(ref_node, Text):
            return Verdict.judged(False, answer, "text_mismatch", marker=marker, via="text")
        if _power_nesting(ans_text) > 2 or _power_nesting(ref_text) > 2:
            return Verdict.failed("error", "answer_too_large", extracted=answer, marker=marker)
        return Deferred(
            fn=_judge_with_sympy,
            args=(ref_text, ans_text, answer, marker, ref_node is not None),
            fallback=_timed_out(answer, marker),
        )

    too_large = _too_large(ans_text)
    if too_large is not None:
        if is_growing_tower(ans_node) and _is_modest_number(ref_node):
            return Verdict.judged(False, answer, "magnitude_mismatch", marker=marker, via="guard")
        return Verdict.failed(
            "error", "answer_too_large", extracted=answer, marker=marker, why=too_large
        )
    if isinstance(ref_node, Text) or isinstance(ans_node, Text):
        same = same_wording(text_form(ref_text), text_form(ans_text))
        same = same or no_solution(ref_node, ans_node)
        reason = "same_text" if same else "text_mismatch"
        return Verdict.judged(same, answer, reason, marker=marker, via="text")
    if _mentions_big_operator(ref_text, ans_text) and (
        has_big_operator(ref_node) or has_big_operator(ans_node)
    ):
        return Deferred(
            fn=_judge_big_operators,
            args=(ref_node, ans_node, ref_text, ans_text, answer, marker),
            fallback=_timed_out(answer, marker),
        )
    compared = _compared(ref_text, ans_text)
    if compared is None:
        return Deferred(
            fn=judge_parsed,
            args=(ref_node, ans_node, answer, marker),
            fallback=_timed_out(answer, marker),
        )
    match, via = compared
    return Verdict.judged(match.equal, answer, match.reason, marker=marker, via=via)


@lru_cache(maxsize=4096)
def _compared(reference: str, answer: str) -> tuple[Match, str] | None:
    """How two texts that `parse_answer` reads compare, and what decided (`exact`, `numeric`);
    None when only the sandbox may decide (the numeric comparison of large trees). A function
    of the two texts alone, so cached: in a GRPO group many responses give the same answer."""
    ref, ans = parse_answer(reference), parse_answer(answer)
    try:
        return equivalent(ref, ans, EXACT_LEAVES), "exact"
    except Undecided:
        if not is_cheap(ref, ans):
            return None
    with _MPMATH:  # its working precision is global: one comparison at a time
        return equivalent(ref, ans, NUMERIC_LEAVES), "numeric"


def judge_parsed(ref: Node, ans: Node, answer: str, marker: str) -> Verdict:
    """Sandbox job: the comparison with numeric evaluation."""
    match = equivalent(ref, ans, NUMERIC_LEAVES)
    return Verdict.judged(match.equal, answer, match.reason, marker=marker, via="numeric")


def _judge_big_operators(
    ref: Node, ans: Node, reference: str, answer_text: str, answer: str, marker: str
) -> Verdict:
    """Sandbox job for sums and products: the same index, bounds and body (in any order of
    factors) settle it in milliseconds; only what that does not show goes to sympy."""
    if equivalent(ref, ans, NUMERIC_LEAVES).equal:
        return Verdict.judged(True, answer, "equal", marker=marker, via="numeric")
    return _judge_with_sympy(reference, answer_text, answer, marker, True)


def _judge_with_sympy(
    reference: str, answer_text: str, answer: str, marker: str, reference_parsed: bool
) -> Verdict:
    """Sandbox job: latex2sympy2 + sympy for what our parser does not read."""
    from mmreward.verifiers.symbolic import judge_with_sympy

    verdict = judge_with_sympy(reference, answer_text, marker).with_extracted(answer)
    if verdict.status == "unparsable_reference" and reference_parsed:
        return Verdict.judged(False, answer, "unparsable_answer", marker=marker, via="sympy")
    return verdict


def _mentions_big_operator(*texts: str) -> bool:
    """Cheap text test before the tree walk: most answers hold no `\\sum` or `\\prod`."""
    return any("\\sum" in text or "\\prod" in text for text in texts)


def _no_answer(reference: str) -> Verdict:
    """Sandbox job: a response without an answer against a reference only sympy may read."""
    from mmreward.verifiers.symbolic import reference_error

    error = reference_error(reference)
    if error is not None:
        return Verdict.failed("unparsable_reference", "unparsable_reference", error=error)
    return _no_answer_verdict()


def _no_answer_verdict() -> Verdict:
    return Verdict.failed("no_answer", "no_answer")


def _timed_out(answer: str, marker: str) -> Verdict:
    return Verdict.failed("timeout", "timeout", extracted=answer, marker=marker)


@lru_cache(maxsize=4096)
def _read_answer(answer: str) -> tuple[str, Unit | None]:
    """An extracted answer's value, normalised, and its unit. Cached, as `parse_answer` is: in
    a GRPO group many responses give the same answer."""
    value, unit = split_unit(answer)
    return normalize(value), unit


@lru_cache(maxsize=4096)
def _too_large(text: str) -> str | None:
    """Why the answer `text` (which `parse_answer` reads) is too large to compare, or None."""
    try:
        check_magnitude(parse_answer(text))
    except TooLargeError as error:
        return str(error)
    return None


@lru_cache(maxsize=8192)
def _choice_parts(text: str) -> tuple[str | None, str | None]:
    """`(B) 12` / `\\textbf{(B) }12` -> (B, 12); a lone `B` / `(B)` -> (B, None); else nothing."""
    if "(" not in text and len(text) > 1 and "text" not in text:
        return None, None
    labelled = _CHOICE_LABEL.fullmatch(text)
    if labelled is not None and (labelled.group(1) is None or labelled.group(3)):
        return labelled.group(2), labelled.group(4)
    alone = _CHOICE_LETTER.fullmatch(text)
    return (alone.group(1), None) if alone is not None else (None, None)


def _reference_text(reference: Any) -> str | None:
    """Datasets hand over numpy scalars as often as Python numbers: both read the same."""
    if isinstance(reference, bool) or reference is None:
        return None
    if isinstance(reference, Fraction):
        return f"{reference.numerator}/{reference.denominator}"
    if isinstance(reference, numbers.Integral):
        return str(int(reference))
    if isinstance(reference, numbers.Real):
        value = float(reference)
        return format(Decimal(repr(value)), "f") if _pymath.isfinite(value) else None
    if isinstance(reference, str):
        return reference
    if isinstance(reference, list | tuple) and reference:
        items = [_reference_text(item) for item in reference]
        return None if None in items else ", ".join(item for item in items if item is not None)
    return None


@lru_cache(maxsize=8192)
def _prepare_reference(reference: str | None) -> tuple[str, Node | None, Unit | None] | Verdict:
    """Normalised text, tree (None: only sympy may read it) and unit of a reference, or the
    verdict that ends the item. Cached: a GRPO group scores many responses against one
    reference."""
    if reference is None:
        return Verdict.failed(
            "unparsable_reference", "unparsable_reference", why="not text, a number or a list"
        )
    if len(reference) > MAX_REFERENCE_CHARS:
        return Verdict.failed("unparsable_reference", "reference_too_long")
    value, unit = split_unit(reference)
    text = normalize(value)
    if unit is not None and unit.kind == "angle":
        text = in_degrees(text, unit)
    if not text:
        return Verdict.failed("unparsable_reference", "unparsable_reference", why="empty")
    try:
        node: Node | None = parse_answer(text)
    except TooComplexError:
        return Verdict.failed("unparsable_reference", "reference_too_long")
    except LatexError:
        node = None
    if node is not None:
        try:
            check_magnitude(node)
        except TooLargeError:
            return Verdict.failed("unparsable_reference", "reference_too_large")
    elif _power_nesting(text) > 2:
        return Verdict.failed("unparsable_reference", "reference_too_large")
    return text, node, unit


def is_plain_number(node: Node | None) -> bool:
    """A number as written once evaluated: `85`, `-3`, `2.5`, `\\frac{2}{7}`, `12\\%`."""
    match node:
        case Num():
            return True
        case Neg(arg) | Percent(arg):
            return is_plain_number(arg)
        case Div(Num(num, None), Num(den, None)):
            return num.denominator == den.denominator == 1
    return False


def _written_plain(written: str, parsed: Node | None) -> bool:
    """Whether the answer as written (before any unit conversion) is a plain number."""
    if parsed is None:
        return False
    try:
        node = parse_answer(written)
    except LatexError:
        return False
    return is_plain_number(final_value(node))


def final_value(node: Node) -> Node:
    """The value a chain `\\binom{6}{2} = 15` ends with (the answer itself otherwise)."""
    if isinstance(node, Relation) and set(node.ops) == {"="}:
        return node.items[-1]
    return node


def _is_modest_number(node: Node | None) -> bool:
    """A reference whose value is known and small: a huge tower cannot equal it."""
    if node is None:
        return False
    try:
        return abs(exact_value(node)) < 10**1000
    except NotExact:
        return False


def _power_nesting(text: str) -> int:
    """Depth of `^{…^{…}}` nesting, for text only sympy will read: towers stay out of it."""
    depth = deepest = 0
    stack: list[bool] = []
    previous = ""
    for char in text:
        if char == "{":
            opens_power = previous == "^"
            stack.append(opens_power)
            depth += opens_power
            if len(stack) > MAX_DEPTH:
                return MAX_DEPTH
        elif char == "}" and stack:
            depth -= stack.pop()
        elif char == "^":
            deepest = max(deepest, depth + 1)
        if not char.isspace():
            previous = char
    return deepest
