"""A labelled corpus of math answers for the throughput benchmark, GRPO-shaped.

Each reference gets a group of responses, as a policy's samples would: the right answer in
several notations (and in several places: `\\boxed{}`, "The answer is", `<answer>`, after long
reasoning) beside close wrong answers. Every (reference, response) pair is distinct, so no
verdict can be reused; references repeat within their group, as they do in GRPO.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Item:
    kind: str
    reference: str
    response: str
    correct: bool


Variants = tuple[str, list[str], list[str]]
"""(reference, right answers, wrong answers)."""

_FILLER = (
    "We first restate the problem and name the unknowns. Expanding the expression gives {a} "
    "terms, and after grouping like terms we are left with {b} of them. Checking the edge case "
    "n = {c} confirms the pattern, so we continue with the general case. "
)


def _frac(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def _decimal(value: Fraction) -> str | None:
    """Terminating decimal of `value`, or None."""
    d = value.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        return None
    text = f"{float(value):.10f}".rstrip("0").rstrip(".")
    return text if Fraction(text) == value else None


def integers(rng: random.Random) -> Variants:
    n = rng.choice([rng.randint(-50, 50), rng.randint(100, 99_999), rng.randint(10**6, 10**9)])
    right = [str(n), f"{n}.0", f"{n:,}" if abs(n) >= 1000 else f"+{n}" if n > 0 else f"{n}.00"]
    wrong = [str(n + 1), str(n - 1), str(n * 10 if n else 10), str(-n if n else 7)]
    return str(n), right, wrong


def decimals(rng: random.Random) -> Variants:
    value = Fraction(rng.randint(1, 9999), 100) * rng.choice([1, -1])
    text = _decimal(value) or "0.5"
    padded = f"{text}0" if "." in text else f"{text}.0"
    right = [text, _frac(value), padded, f"{text} \\text{{ cm}}"]
    # One unit in the last written place: the reference stands for what rounds to it.
    unit = Fraction(1, 10 ** len(text.partition(".")[2]))
    wrong = [_decimal(value + unit) or "0.7", _decimal(value * 10) or "9"]
    return text, right, wrong


def fractions(rng: random.Random) -> Variants:
    den = rng.randint(2, 40)
    num = rng.randint(1, 60)
    value = Fraction(num, den)
    if value.denominator == 1:
        value += Fraction(1, den + 1)
    k = rng.randint(2, 6)
    ref = _frac(value)
    right = [
        ref,
        f"\\dfrac{{{value.numerator * k}}}{{{value.denominator * k}}}",
        f"{value.numerator}/{value.denominator}",
    ]
    if (dec := _decimal(value)) is not None:
        right.append(dec)
    wrong = [_frac(1 / value), _frac(value + Fraction(1, value.denominator))]
    if Fraction(rounded := f"{float(value):.2f}") != value:
        wrong.append(rounded)  # a rounded decimal is not the exact fraction
    return ref, right, wrong


def radicals(rng: random.Random) -> Variants:
    m = rng.choice([2, 3, 5, 6, 7, 10, 11, 13, 14, 15])
    k = rng.randint(2, 9)
    ref = f"{k}\\sqrt{{{m}}}"
    right = [ref, f"\\sqrt{{{k * k * m}}}", f"\\sqrt{{{m}}} \\cdot {k}", f"{k}\\sqrt {m}"]
    wrong = [f"{k}\\sqrt{{{m + 1}}}", f"{k + 1}\\sqrt{{{m}}}", f"\\sqrt{{{k * m}}}"]
    return ref, right, wrong


def sets(rng: random.Random) -> Variants:
    values = rng.sample(range(-20, 30), rng.randint(2, 5))
    ref = "\\{" + ", ".join(map(str, values)) + "\\}"
    shuffled = values[:]
    rng.shuffle(shuffled)
    right = [
        "\\{" + ", ".join(map(str, shuffled)) + "\\}",
        ", ".join(map(str, reversed(values))),
        "\\left\\{" + ",".join(map(str, shuffled)) + "\\right\\}",
    ]
    changed = values[:]
    changed[0] = max(values) + 1
    wrong = [
        "\\{" + ", ".join(map(str, changed)) + "\\}",
        "\\{" + ", ".join(map(str, values[1:])) + "\\}",
    ]
    return ref, right, wrong


def intervals(rng: random.Random) -> Variants:
    a = rng.randint(-20, 10)
    b = a + rng.randint(1, 15)
    left, right_closed = rng.choice([("[", "]"), ("(", ")"), ("[", ")"), ("(", "]")])
    ref = f"{left}{a}, {b}{right_closed}"
    lo = "\\le" if left == "[" else "<"
    hi = "\\le" if right_closed == "]" else "<"
    flip = {"[": "(", "(": "["}[left]
    right = [f"{left}{a},{b}{right_closed}", f"{a} {lo} x {hi} {b}", f"x \\in {ref}"]
    wrong = [f"{flip}{a}, {b}{right_closed}", f"{left}{a}, {b + 1}{right_closed}"]
    if rng.random() < 0.4:
        ref = f"({a}, \\infty)"
        right = [f"x > {a}", f"({a},\\infty)", f"{a} < x"]
        wrong = [f"x \\ge {a}", f"(-\\infty, {a})"]
    return ref, right, wrong


def tuples(rng: random.Random) -> Variants:
    x = Fraction(rng.randint(-12, 12), rng.choice([1, 1, 2, 3]))
    y = Fraction(rng.randint(-12, 12), rng.choice([1, 1, 2, 4]))
    if x == y:
        y += 1
    ref = f"({_frac(x)}, {_frac(y)})"
    right = [
        f"\\left({_frac(x)},{_frac(y)}\\right)",
        f"x = {_frac(x)}, y = {_frac(y)}",
        f"({_decimal(x) or _frac(x)}, {_decimal(y) or _frac(y)})",
    ]
    wrong = [f"({_frac(y)}, {_frac(x)})", f"({_frac(x)}, {_frac(-y if y else y + 2)})"]
    return ref, right, wrong


def equations(rng: random.Random) -> Variants:
    m = rng.randint(2, 9) * rng.choice([1, -1])
    c = rng.randint(1, 20)
    if c == m:
        c += 1  # else the swapped wrong answer would be the reference
    ref = f"y = {m}x + {c}"
    right = [
        f"y = {c} + {m}x",
        f"{m}x - y + {c} = 0",
        f"y - {c} = {m}x",
        f"{2 * m}x + {2 * c} = 2y",
    ]
    wrong = [f"y = {m}x - {c}", f"y = {m + 1}x + {c}", f"y = {c}x + {m}"]
    return ref, right, wrong


def polynomials(rng: random.Random) -> Variants:
    a, b = rng.sample(range(1, 12), 2)
    ref = f"x^2 + {a + b}x + {a * b}"
    right = [f"(x+{a})(x+{b})", f"(x + {b})(x + {a})", f"x^{{2}}+{a + b}x+{a * b}"]
    wrong = [f"(x+{a})(x-{b})", f"(x+{a})^2", f"x^2 + {a + b}x - {a * b}"]
    return ref, right, wrong


def constants(rng: random.Random) -> Variants:
    k = rng.randint(2, 12)
    ref = f"\\frac{{{k}\\pi}}{{3}}"
    value = k * math.pi / 3
    right = [f"\\frac{{{k}}}{{3}}\\pi", f"{k}\\pi/3", ref]
    wrong = [f"\\frac{{{k}\\pi}}{{4}}", f"{value:.2f}", f"\\frac{{{k + 1}\\pi}}{{3}}"]
    return ref, right, wrong


GENERATORS: dict[str, Callable[[random.Random], Variants]] = {
    "integer": integers,
    "decimal": decimals,
    "fraction": fractions,
    "radical": radicals,
    "set": sets,
    "interval": intervals,
    "tuple": tuples,
    "equation": equations,
    "polynomial": polynomials,
    "constant": constants,
}


def _wrap(answer: str, rng: random.Random, long_share: float) -> str:
    style = rng.randrange(5)
    if style == 0:
        final = f"Therefore the answer is $\\boxed{{{answer}}}$."
    elif style == 1:
        final = f"The final answer is ${answer}$."
    elif style == 2:
        final = f"<think>Work it out.</think><answer>{answer}</answer>"
    elif style == 3:
        final = f"**Final Answer**\n\\[\\boxed{{{answer}}}\\]"
    else:
        final = f"\\boxed{{{answer}}}"
    if rng.random() < long_share:
        reasoning = "".join(
            _FILLER.format(a=rng.randint(2, 99), b=rng.randint(2, 99), c=rng.randint(2, 99))
            for _ in range(rng.randint(10, 40))
        )
        return reasoning + final
    return f"Step 1: simplify. Step 2: solve. {final}"


def generate(
    n_items: int = 2400, seed: int = 0, group: int = 8, long_share: float = 0.2
) -> list[Item]:
    """`n_items` distinct labelled items in groups of `group` sharing a reference."""
    rng = random.Random(seed)
    kinds = list(GENERATORS)
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()
    while len(items) < n_items:
        kind = kinds[len(items) // group % len(kinds)]
        ref, right, wrong = GENERATORS[kind](rng)
        for _ in range(group):
            correct = rng.random() < 0.5
            answer = rng.choice(right if correct else wrong)
            response = _wrap(answer, rng, long_share)
            if (ref, response) in seen:
                continue
            seen.add((ref, response))
            items.append(Item(kind, ref, response, correct))
    return items[:n_items]
