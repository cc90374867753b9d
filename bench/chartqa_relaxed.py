"""mmreward's chart/choice/format verifiers against the rules they replace, on the labelled suite.

Baselines, in the same run:
- ChartQA relaxed accuracy (Masry et al. 2022, as implemented for Pix2Struct/DePlot): if both
  strings parse as floats (a trailing `%` divides by 100) and the target is non-zero, accept a
  relative change <= 5%; else exact case-insensitive string match. No answer extraction.
- MMMU's `parse_multi_choice_response` (MMMU eval utils) for multiple choice: `(X)` anywhere,
  else ` X ` anywhere, else (responses over 5 words) option texts; the last one mentioned wins
  and no candidate is a random pick (seeded per case here, so runs repeat).
- EasyR1's format regexes: r1v `<think>.*?</think>\\s*<answer>.*?</answer>` and math
  `<think>.*</think>.*\\\\boxed\\{.*\\}.*`, both `re.fullmatch` with DOTALL; for the plain `boxed`
  spec the math regex without its think part.

Two labelled suites: `answer_suite` (written alongside the verifiers) and `heldout_answer_cases`
(written apart from them). Prints accuracy against the labels, disagreements per topic with the
reason, and verifications/s on one core. Run: `python bench/chartqa_relaxed.py`.
"""

from __future__ import annotations

import platform
import random
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TypeAlias

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))

from answer_suite import CHART, CHOICE, FORMAT, Case
from heldout_answer_cases import CASES as HELDOUT
from heldout_answer_cases import HeldoutCase

from mmreward.verifiers import verify

WHY = {
    "year": "relaxed accepts any year within 5% (2014 for 2015); years are exact here",
    "percent": "relaxed reads 45% as 0.45 only, so 45 vs 45% fails; both readings here",
    "zero": "relaxed falls back to string match for a 0 target, so 0.0 != 0",
    "currency": "relaxed cannot parse $ / EUR / USD",
    "thousands_separator": "relaxed cannot parse 1,234",
    "unicode_minus": "relaxed cannot parse U+2212",
    "scale_word": "relaxed has no scale words (1.2 million, 250k)",
    "unit": "relaxed cannot parse trailing units",
    "qualifier": "relaxed cannot parse 'about 45'",
    "number_word": "relaxed has no number words",
    "fraction": "relaxed cannot parse 1/2",
    "scientific": "float() parses 1.5e6 too",
    "extraction": "relaxed has no answer extraction (boxed, <answer>, 'the answer is')",
    "model_style": "relaxed has no extraction or normalisation for how models phrase answers",
    "year_context": "relaxed compares the whole sentence",
    "text_normalisation": "relaxed keeps articles and punctuation",
    "yes_no": "relaxed needs the bare word",
    "list": "relaxed compares the list as one string",
    "numeric_reference": "relaxed compares the whole sentence",
    "chart_with_options": "relaxed has no multiple choice",
    "letter": "relaxed needs the bare letter",
    "boxed": "relaxed has no extraction",
    "phrase": "relaxed has no extraction",
    "final_position": "relaxed has no extraction",
    "option_text": "relaxed compares the option text with the letter",
    "reference_text": "relaxed compares the letter with the option text",
    "labelled_options": "relaxed compares the option text with the letter",
    "nested_option_text": "relaxed compares the option text with the letter",
    "tolerance": "same 5% rule",
    "synonym": "relaxed does not know USA = United States",
    "article": "relaxed has no extraction",
    "whitespace": "EasyR1's fullmatch rejects whitespace around the tags (and CRLF endings)",
    "boxed_not_final": "EasyR1's trailing .* accepts any text after the box",
    "empty_answer": "EasyR1 accepts an empty <answer></answer>",
    "duplicate": "EasyR1's .*? spans repeated or nested tags",
    "boxed_count": "EasyR1 accepts any number of boxes",
    "think_opened": "EasyR1's .*? lets a second <think> through",
    "boxed_empty": "EasyR1 accepts \\boxed{}",
    "boxed_unbalanced": "EasyR1's \\{.*\\} does not balance braces",
}


def relaxed_correctness(target: str, prediction: str, max_relative_change: float = 0.05) -> bool:
    """ChartQA's relaxed accuracy, as its reference implementations define it."""

    def to_float(text: str) -> float | None:
        try:
            if text.endswith("%"):
                return float(text.rstrip("%")) / 100.0
            return float(text)
        except ValueError:
            return None

    prediction_float = to_float(prediction)
    target_float = to_float(target)
    if prediction_float is not None and target_float:
        change = abs(prediction_float - target_float) / abs(target_float)
        return change <= max_relative_change
    return prediction.lower() == target.lower()


_R1V = re.compile(r"<think>.*?</think>\s*<answer>.*?</answer>", re.DOTALL)
_MATH = re.compile(r"<think>.*</think>.*\\boxed\{.*\}.*", re.DOTALL)
_BOXED = re.compile(r".*\\boxed\{.*\}.*", re.DOTALL)
_EASYR1 = {"think_answer": _R1V, "think_boxed": _MATH, "boxed": _BOXED}


AnyCase: TypeAlias = Case | HeldoutCase


def _topic(case: AnyCase) -> str:
    return case.topic if isinstance(case, Case) else case.form


def relaxed(case: AnyCase) -> bool:
    return relaxed_correctness(str(case.reference), case.response.strip())


def mmmu_choice(case: AnyCase) -> bool:
    """MMMU's parse_multi_choice_response, given the reference as a letter."""
    options = case.options
    texts = list(options.values()) if isinstance(options, dict) else list(options or [])
    letters = list(string.ascii_uppercase[: len(texts)])
    index2ans = dict(zip(letters, texts, strict=True))
    gold = _gold_letter(case.reference, letters, texts)
    response = case.response
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    candidates = [c for c in letters if f"({c})" in response]
    bracketed = bool(candidates)
    if not candidates:
        candidates = [c for c in letters if f" {c} " in response]
    by_text = False
    if not candidates and len(response.split()) > 5:
        candidates = [c for c, ans in index2ans.items() if ans.lower() in response.lower()]
        by_text = bool(candidates)
    if not candidates:
        return random.Random(repr(case)).choice(letters) == gold
    if len(candidates) == 1:
        return candidates[0] == gold
    if by_text:
        starts = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
    elif bracketed:
        starts = [response.rfind(f"({c})") for c in candidates]
    else:
        starts = [response.rfind(f" {c} ") for c in candidates]
    return candidates[starts.index(max(starts))] == gold


def _gold_letter(reference: object, letters: list[str], texts: list[str]) -> str | None:
    """The reference as MMMU stores it (a letter), from a letter, option text or index."""
    if isinstance(reference, int) and 0 <= reference < len(letters):
        return letters[reference]
    ref = str(reference).strip().strip("().")
    if ref.upper() in letters and len(ref) == 1:
        return ref.upper()
    for letter, text in zip(letters, texts, strict=True):
        if ref.lower() in (text.lower(), f"{letter}. {text}".lower()):
            return letter
    return None


def easyr1(case: AnyCase) -> bool:
    if case.params.get("think_opened"):
        return _EASYR1[case.params["spec"]].fullmatch("<think>" + case.response) is not None
    return _EASYR1[case.params["spec"]].fullmatch(case.response) is not None


def ours(case: AnyCase) -> bool:
    verdict = verify(
        case.verifier, case.response, case.reference, options=case.options, **case.params
    )
    return verdict.reward == 1.0


def compare(
    title: str,
    cases: list[AnyCase],
    baseline: Callable[[AnyCase], bool],
    name: str,
    why: dict[str, str] | None = None,
) -> None:
    """Accuracy of both against the labels; `why` explains disagreements by topic."""
    mine = [ours(case) for case in cases]
    theirs = [baseline(case) for case in cases]
    right_mine = sum(m == c.correct for m, c in zip(mine, cases, strict=True))
    right_theirs = sum(t == c.correct for t, c in zip(theirs, cases, strict=True))
    n = len(cases)
    print(f"\n## {title}: {n} labelled cases")
    print(f"{'':<24}{'mmreward':>12}{name:>22}")
    print(f"{'right':<24}{right_mine:>12}{right_theirs:>22}")
    print(f"{'accuracy':<24}{right_mine / n:>12.1%}{right_theirs / n:>22.1%}")
    only_mine = Counter()
    only_theirs = Counter()
    both_wrong = Counter()
    for case, m, t in zip(cases, mine, theirs, strict=True):
        if m == case.correct and t != case.correct:
            only_mine[_topic(case)] += 1
        elif t == case.correct and m != case.correct:
            only_theirs[_topic(case)] += 1
        elif m != case.correct:
            both_wrong[_topic(case)] += 1
    disagreements = sum(only_mine.values()) + sum(only_theirs.values())
    print(
        f"disagreements: {disagreements} (mmreward right in {sum(only_mine.values())}, "
        f"{name} right in {sum(only_theirs.values())}); both wrong: {sum(both_wrong.values())}"
    )
    for label, counts in (
        ("mmreward right, baseline wrong", only_mine),
        ("baseline right, mmreward wrong", only_theirs),
        ("both wrong", both_wrong),
    ):
        for topic, count in counts.most_common():
            print(f"  {label:<32} {topic:<20} {count:>3}  {(why or {}).get(topic, '')}")


def throughput(cases: list[AnyCase], fn: Callable[[AnyCase], bool], seconds: float = 1.0) -> float:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for case in cases:
            fn(case)
        done += len(cases)
    return done / (time.perf_counter() - start)


def main() -> None:
    machine = platform.processor() or platform.machine()
    print(
        f"# mmreward {version('mmreward')} vs ChartQA relaxed accuracy and EasyR1 format regexes"
        f"\n# {machine}, {platform.system()}, python {sys.version.split()[0]}, one core"
    )
    compare("chart / VQA answers", CHART, relaxed, "ChartQA relaxed", WHY)
    compare("multiple choice", CHOICE, relaxed, "ChartQA relaxed", WHY)
    compare("multiple choice", CHOICE, mmmu_choice, "MMMU parser")
    compare("format", FORMAT, easyr1, "EasyR1 regex", WHY)
    print(
        "\n# held-out suite (tests/helpers/heldout_answer_cases.py, "
        "written apart from the verifiers)"
    )
    chart = [c for c in HELDOUT if c.verifier == "chart" and not c.options]
    choice = [c for c in HELDOUT if c.options]
    layout = [c for c in HELDOUT if c.verifier == "format"]
    compare("held-out chart / VQA answers", chart, relaxed, "ChartQA relaxed")
    compare("held-out multiple choice", choice, mmmu_choice, "MMMU parser")
    compare("held-out format", layout, easyr1, "EasyR1 regex")
    answers = CHART + CHOICE
    print(f"\n## verifications/s on one core ({len(answers)} chart + choice cases, repeated)")
    print(f"{'mmreward':<24}{throughput(answers, ours):>12,.0f}")
    print(f"{'ChartQA relaxed':<24}{throughput(answers, relaxed):>12,.0f}")


if __name__ == "__main__":
    main()
