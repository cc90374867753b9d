"""Near-misses by class: wrong answers built to look right, beside equivalent rewrites.

    python bench/adversarial.py [--seed 0] [--show-misses]

A policy optimises whatever its reward pays for, so every wrong answer a verifier accepts is a
reward hack waiting to be found. Each class below generates near-misses (a wrong answer that
shares the reference's digits, words or shape: another unit, a percentage 100x off, a negated
choice, a value 1/2004! away) and equivalent rewrites as controls (a conversion, a flipped
inequality, a corrected choice), from random parameters. Both graders judge every row in one
process: mmreward through `verify` (deferred comparisons in a `Sandbox`, as in production) and
math-verify through `verify(parse(reference), parse(response))`, as its README shows.

Printed: per class, false accepts (near-misses judged right) and false rejects (rewrites judged
wrong) for each grader. The generator is this file; the independent suites it stands in for are
kept outside the project.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from importlib.metadata import version
from typing import Any

from mmreward.sandbox import Sandbox
from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.registry import VERIFIERS
from mmreward.verifiers.verdict import Verdict

NEAR_MISSES = 21
REWRITES = 7


@dataclass(frozen=True)
class Case:
    response: str
    reference: str
    correct: bool
    verifier: str = "math"
    params: dict[str, Any] = field(default_factory=dict)


Pair = tuple[str, str]
"""(response, reference)"""
Generator = Callable[[random.Random], tuple[Pair, Pair]]
"""One draw: (a near-miss, an equivalent rewrite)."""


@dataclass(frozen=True)
class Family:
    name: str
    draw: Generator
    verifier: str = "math"
    params: dict[str, Any] = field(default_factory=dict)


def boxed(text: str) -> str:
    return f"The final answer is $\\boxed{{{text}}}$."


def _pick(rng: random.Random, *options: str) -> str:
    return options[rng.randrange(len(options))]


# --- units ---------------------------------------------------------------------------------


def unit_prefix(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 900)
    big, small, factor = _pick(rng, "km|m|1000", "m|cm|100", "kg|g|1000", "L|mL|1000").split("|")
    ref = f"{a} \\text{{ {big}}}"
    return (boxed(f"{a} \\text{{ {small}}}"), ref), (
        boxed(f"{a * int(factor)} \\text{{ {small}}}"),
        ref,
    )


def unit_time(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 48)
    long, short, factor = _pick(
        rng, "hours|minutes|60", "minutes|seconds|60", "days|hours|24"
    ).split("|")
    ref = f"{a} \\text{{ {long}}}"
    return (boxed(f"{a} \\text{{ {short}}}"), ref), (
        boxed(f"{a * int(factor)} \\text{{ {short}}}"),
        ref,
    )


def unit_speed(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 60) * 5
    ref = f"{a} \\text{{ km/h}}"
    miss = _pick(rng, f"{a} \\text{{ mph}}", f"{a} \\text{{ m/s}}", f"{a} \\text{{ km}}")
    return (boxed(miss), ref), (boxed(f"{Fraction(a * 5, 18)} \\text{{ m/s}}"), ref)


def unit_area(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 400)
    ref = f"{a} \\text{{ cm}}^2"
    miss = _pick(rng, f"{a} \\text{{ cm}}", f"{a} \\text{{ m}}^2", f"{a} \\text{{ cm}}^3")
    return (boxed(miss), ref), (boxed(f"{a * 100} \\text{{ mm}}^2"), ref)


def unit_mass(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 300)
    ref = f"{a} \\text{{ kg}}"
    miss = _pick(rng, f"{a} \\text{{ lb}}", f"{a} \\text{{ g}}", f"{a} \\text{{ oz}}")
    return (boxed(miss), ref), (boxed(f"{a * 1000} \\text{{ grams}}"), ref)


def unit_temperature(rng: random.Random) -> tuple[Pair, Pair]:
    c = rng.randint(-8, 20) * 5
    f = c * 9 // 5 + 32
    ref = f"{c}^\\circ \\text{{C}}"
    return (boxed(f"{c}^\\circ \\text{{F}}"), ref), (boxed(f"{f}^\\circ \\text{{F}}"), ref)


def unit_dimension(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 99)
    units = ["m", "kg", "s", "L", "km/h", "J", "W", "N"]
    ref_unit, other = rng.sample(units, 2)
    ref = f"{a} \\text{{ {ref_unit}}}"
    return (boxed(f"{a} \\text{{ {other}}}"), ref), (boxed(f"{a}\\ \\mathrm{{{ref_unit}}}"), ref)


def currency(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 500)
    ref = f"\\${a}"
    miss = _pick(
        rng, f"{a} \\text{{ euros}}", f"£{a}", f"{a} \\text{{ yen}}", f"{a} \\text{{ cents}}"
    )
    good = _pick(rng, f"{a} \\text{{ dollars}}", f"{a * 100} \\text{{ cents}}", f"\\${a}.00")
    return (boxed(miss), ref), (boxed(good), ref)


_NOUNS = ["apples", "oranges", "pencils", "marbles", "students", "cookies", "books", "cars"]


def count_noun(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 90)
    noun, other = rng.sample(_NOUNS, 2)
    ref = f"{a} \\text{{ {noun}}}"
    return (boxed(f"{a} \\text{{ {other}}}"), ref), (boxed(f"{a} {noun}"), ref)


def unit_one_side(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 90)
    return (boxed(f"{a * 100} \\text{{ cm}}"), str(a)), (boxed(f"{a} \\text{{ m}}"), str(a))


def chart_unit(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 90)
    ref_unit, miss_unit, good = _pick(
        rng,
        "kg|lb|{0}000 g",
        "hours|minutes|{0}.0 hours",
        "km|miles|{0}000 m",
        "L|gallons|{0} liters",
    ).split("|")
    ref = f"{a} {ref_unit}"
    return (f"{a} {miss_unit}", ref), (good.format(a), ref)


def chart_currency(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 900)
    ref = f"${a}"
    return (f"€{a}", ref), (_pick(rng, f"{a} dollars", f"US${a}", f"$ {a}"), ref)


# --- percent and angles --------------------------------------------------------------------


def percent_scale(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(1, 99)
    ref = f"{a}\\%"
    miss = _pick(rng, f"{a / 100:g}\\%", f"{a * 100}\\%")
    return (boxed(miss), ref), (boxed(f"{a / 100:g}"), ref)


def percent_fraction(rng: random.Random) -> tuple[Pair, Pair]:
    q = rng.choice([2, 4, 5, 8, 10, 20, 25])
    p = rng.randint(1, 3 * q)
    value = Fraction(p, q)
    p, q = value.numerator, value.denominator
    ref = f"{float(value):g}\\%"
    good = f"\\frac{{{p}}}{{{q * 100}}}"
    return (boxed(f"\\frac{{{p}}}{{{q}}}"), ref), (boxed(good), ref)


def chart_percent(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(11, 95)
    ref = f"{a}%"
    return (f"{a / 10:g}%", ref), (_pick(rng, f"{a / 100:g}", f"{a} percent", f"{a} %"), ref)


def angle_radians(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.choice([2, 3, 4, 5, 6, 9, 10, 12, 18, 20, 36])
    j = rng.randint(1, 2 * k - 1)
    angle = Fraction(180 * j, k)
    degrees = (
        angle.numerator
        if angle.denominator == 1
        else f"\\frac{{{angle.numerator}}}{{{angle.denominator}}}"
    )
    ref = f"{degrees}^\\circ"
    rad = Fraction(j, k)
    good = f"\\frac{{{rad.numerator}\\pi}}{{{rad.denominator}}}"
    good = _pick(rng, good, good + " \\text{ rad}", good + " \\text{ radians}")
    return (boxed(f"{degrees} \\text{{ rad}}"), ref), (boxed(good), ref)


def angle_pi_degrees(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.choice([2, 3, 4, 5, 6, 9, 10, 12, 15, 18, 20, 30, 36])
    j = rng.randint(1, 2 * k - 1)
    rad = Fraction(j, k)
    ref = f"\\frac{{{rad.numerator}\\pi}}{{{rad.denominator}}}"
    degrees = Fraction(180) * rad
    return (boxed(f"\\left({ref}\\right)^\\circ"), ref), (
        boxed(f"{float(degrees):g}^\\circ" if degrees.denominator == 1 else f"{degrees}^\\circ"),
        ref,
    )


# --- precision -----------------------------------------------------------------------------


def tiny_factorial(rng: random.Random) -> tuple[Pair, Pair]:
    n = rng.randint(1001, 3000)
    ref = f"\\frac{{1}}{{{n}!}}"
    miss = _pick(rng, f"\\frac{{1}}{{{n + 1}!}}", f"\\frac{{2}}{{{n}!}}")
    return (boxed(miss), ref), (boxed(f"\\frac{{{n + 1}}}{{{n + 1}!}}"), ref)


def tiny_power(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.randint(200, 3000)
    ref = f"2^{{-{k}}}"
    return (boxed(f"2^{{-{k + 1}}}"), ref), (boxed(f"\\frac{{1}}{{2^{{{k}}}}}"), ref)


def tiny_exp(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.randint(120, 600)
    ref = f"e^{{-{k}}}"
    return (boxed(f"e^{{-{k + 1}}}"), ref), (boxed(f"\\frac{{1}}{{e^{{{k}}}}}"), ref)


def fewer_digits(rng: random.Random) -> tuple[Pair, Pair]:
    value = rng.uniform(1, 100)
    ref = f"{value:.5f}"
    return (boxed(f"{value:.2f}"), ref), (boxed(f"{value:.5f}0"), ref)


def exact_vs_decimal(rng: random.Random) -> tuple[Pair, Pair]:
    q = rng.choice([3, 6, 7, 9, 11, 13])
    p = rng.randint(1, q - 1)
    while math.gcd(p, q) != 1:
        p = rng.randint(1, q - 1)
    ref = f"\\frac{{{p}}}{{{q}}}"
    good = f"\\frac{{{2 * p}}}{{{2 * q}}}"
    return (boxed(f"{p / q:.3f}"), ref), (boxed(good), ref)


def relative_large(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.randint(6, 40)
    ref = f"10^{{{k}}}"
    return (boxed(f"10^{{{k}}} + 1"), ref), (boxed("1" + "0" * k), ref)


# --- choices -------------------------------------------------------------------------------


def choice_negated(rng: random.Random) -> tuple[Pair, Pair]:
    letter = rng.choice("ABCD")
    miss = _pick(
        rng,
        f"The answer is not ({letter}).",
        f"It cannot be ({letter}).",
        f"({letter}) is wrong.",
        f"I rule out {letter}.",
    )
    return (miss, letter), (f"The answer is ({letter}).", letter)


def choice_either(rng: random.Random) -> tuple[Pair, Pair]:
    a, b = rng.sample("ABCD", 2)
    miss = _pick(rng, f"either ({a}) or ({b})", f"Either {a} or {b}.", f"({a}) or ({b})")
    return (miss, a), (f"Answer: ({a})", a)


def choice_correction(rng: random.Random) -> tuple[Pair, Pair]:
    a, b = rng.sample("ABCD", 2)
    text = _pick(
        rng,
        f"{a}, no wait, {b}",
        f"({a}). Actually, ({b}).",
        f"I first leaned to ({a}); on reflection it is ({b}).",
        f"Not ({a}) but ({b}).",
        f"({a}) is wrong, so the answer is ({b}).",
    )
    return (text, a), (text, b)


# --- text ----------------------------------------------------------------------------------


_MEANINGS = [
    ("\\text{not possible}", ["possible", "It is possible", "always possible"],
     ["impossible", "It is impossible", "Not possible", "not possible"]),
    ("\\text{no solution}", ["one solution", "two solutions", "a solution", "infinitely many"],
     ["No solutions", "There is no solution", "no solutions", "No solution"]),
    ("\\text{DNE}", ["exists", "It exists", "0"],
     ["does not exist", "Does not exist", "doesn't exist", "DNE"]),
    ("\\text{undefined}", ["defined", "0", "1"], ["not defined", "Undefined", "undefined"]),
    ("\\text{infinitely many}", ["finitely many", "none", "one"],
     ["infinitely many solutions", "Infinitely many", "infinite"]),
]  # fmt: skip


def text_meaning(rng: random.Random) -> tuple[Pair, Pair]:
    ref, wrong, right = rng.choice(_MEANINGS)
    wrap = _pick(rng, "\\text{{{0}}}", "{0}", "\\textbf{{{0}}}")
    return (boxed(wrap.format(rng.choice(wrong))), ref), (
        boxed(wrap.format(rng.choice(right))),
        ref,
    )


# --- echoes --------------------------------------------------------------------------------


def echo(rng: random.Random) -> tuple[Pair, Pair]:
    a, b = rng.randint(10, 99), rng.randint(10, 99)
    form, value = rng.choice(
        [(f"{a}+{b}", a + b), (f"{a} \\times {b}", a * b), (f"{a * b} - {b}", a * b - b)]
    )
    good = _pick(rng, str(value), f"{value}.0", f"\\frac{{{2 * value}}}{{2}}")
    return (boxed(form), str(value)), (boxed(good), str(value))


# --- structure -----------------------------------------------------------------------------


def chain(rng: random.Random) -> tuple[Pair, Pair]:
    n = rng.randint(4, 30)
    value = n * (n - 1) // 2
    return (f"So $\\binom{{{n}}}{{2}} = {value + 1}$", str(value)), (
        f"So $\\binom{{{n}}}{{2}} = {value}$",
        str(value),
    )


def inequality_flip(rng: random.Random) -> tuple[Pair, Pair]:
    p, q = rng.sample("abpqmnuv", 2)
    ref = f"{q} > {p}"
    miss = _pick(rng, f"{p} > {q}", f"{q} < {p}", f"{q} \\ge {p}")
    return (boxed(miss), ref), (boxed(f"{p} < {q}"), ref)


def inequality_quadratic(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.randint(2, 9)
    ref = f"x^2 \\leq {k}x"
    miss = _pick(rng, f"{k}x > x^2", f"{k}x \\leq x^2", f"x^2 \\geq {k}x")
    return (boxed(miss), ref), (boxed(f"{k}x \\geq x^2"), ref)


def function_label(rng: random.Random) -> tuple[Pair, Pair]:
    a, b = rng.randint(2, 9), rng.randint(1, 9)
    ref = f"f(x) = {a}x - {b}"
    return (boxed(f"y = {a}x + {b}"), ref), (boxed(f"y = {a}x - {b}"), ref)


def log_identity(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 40)
    ref = f"-\\ln\\left(\\frac{{{a}-x}}{{x+{a}}}\\right)"
    return (boxed(f"\\ln\\left(\\frac{{{a}-x}}{{x+{a}}}\\right)"), ref), (
        boxed(f"\\ln\\left(\\frac{{x+{a}}}{{{a}-x}}\\right)"),
        ref,
    )


def integral_value(rng: random.Random) -> tuple[Pair, Pair]:
    k, top = rng.randint(1, 9), rng.randint(1, 4)
    ref = str(Fraction(top ** (k + 1), k + 1))
    ref = f"\\frac{{{Fraction(ref).numerator}}}{{{Fraction(ref).denominator}}}"
    return (boxed(f"\\int_0^{{{top}}} x^{{{k + 1}}} \\, dx"), ref), (
        boxed(f"\\int_0^{{{top}}} x^{{{k}}}\\,dx"),
        ref,
    )


def sum_value(rng: random.Random) -> tuple[Pair, Pair]:
    n = rng.randint(5, 60)
    total = n * (n + 1) // 2
    return (boxed(f"\\sum_{{k=1}}^{{{n}}} k"), str(total + n)), (
        boxed(f"\\sum_{{k=1}}^{{{n}}} k"),
        str(total),
    )


def sign_flip(rng: random.Random) -> tuple[Pair, Pair]:
    p, q = rng.randint(1, 20), rng.randint(2, 20)
    ref = f"-\\frac{{{p}}}{{{q}}}"
    return (boxed(f"\\frac{{{p}}}{{{q}}}"), ref), (boxed(f"\\frac{{-{p}}}{{{q}}}"), ref)


def off_by_one(rng: random.Random) -> tuple[Pair, Pair]:
    n = rng.randint(10, 10**6)
    return (boxed(str(n + rng.choice([-1, 1]))), str(n)), (boxed(f"{n:,}"), str(n))


def swapped_tuple(rng: random.Random) -> tuple[Pair, Pair]:
    a, b = rng.sample(range(-20, 21), 2)
    ref = f"({a}, {b})"
    return (boxed(f"({b}, {a})"), ref), (boxed(f"\\left({a},{b}\\right)"), ref)


def interval_bracket(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(-10, 5)
    b = a + rng.randint(1, 10)
    ref = f"[{a}, {b})"
    return (boxed(f"[{a}, {b}]"), ref), (boxed(f"{a} \\le x < {b}"), ref)


def boxed_hedge(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(1, 99)
    b = a + rng.randint(1, 9)
    return (f"$\\boxed{{{a}}}$ or $\\boxed{{{b}}}$", str(a)), (
        f"First I got $\\boxed{{{b}}}$, but corrected: $\\boxed{{{a}}}$",
        str(a),
    )


def reciprocal(rng: random.Random) -> tuple[Pair, Pair]:
    p, q = rng.sample(range(2, 30), 2)
    g = math.gcd(p, q)
    p, q = p // g, q // g
    if p == q:
        p += 1
    ref = f"\\frac{{{p}}}{{{q}}}"
    return (boxed(f"\\frac{{{q}}}{{{p}}}"), ref), (boxed(f"{p}/{q}"), ref)


def radical(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.choice([2, 3, 5, 6, 7, 10, 11])
    k = rng.randint(2, 6)
    ref = f"{k}\\sqrt{{{a}}}"
    return (boxed(f"{k}\\sqrt{{{a + 1}}}"), ref), (boxed(f"\\sqrt{{{k * k * a}}}"), ref)


def pi_multiple(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.randint(2, 60)
    ref = f"{k}\\pi"
    return (boxed(f"{k}"), ref), (boxed(f"\\pi \\cdot {k}"), ref)


def sqrt_decimal(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.choice([2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 17])
    value = math.sqrt(a)
    miss = _pick(rng, f"{value:.2f}", f"{value:.4f}")
    return (boxed(miss), f"\\sqrt{{{a}}}"), (boxed(f"\\sqrt{{{a}}}"), f"{value:.2f}")


def scientific(rng: random.Random) -> tuple[Pair, Pair]:
    m, k = rng.randint(11, 99) / 10, rng.randint(2, 9)
    ref = f"{m:g} \\times 10^{{{k}}}"
    miss = _pick(rng, f"{m:g} \\times 10^{{{k + 1}}}", f"{m:g} \\times 10^{{-{k}}}")
    return (boxed(miss), ref), (boxed(f"{round(m * 10**k)}"), ref)


def mixed_number(rng: random.Random) -> tuple[Pair, Pair]:
    whole, q = rng.randint(1, 9), rng.randint(3, 9)
    p = rng.randint(1, q - 1)
    ref = f"\\frac{{{whole * q + p}}}{{{q}}}"
    other = p + 1 if p + 1 < q else p - 1
    return (boxed(f"{whole}\\frac{{{other}}}{{{q}}}"), ref), (
        boxed(f"{whole}\\frac{{{p}}}{{{q}}}"),
        ref,
    )


def complex_conjugate(rng: random.Random) -> tuple[Pair, Pair]:
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    ref = f"{a}+{b}i"
    return (boxed(f"{a}-{b}i"), ref), (boxed(f"{b}i+{a}"), ref)


def factorial_value(rng: random.Random) -> tuple[Pair, Pair]:
    n = rng.randint(3, 40)
    ref = str(math.factorial(n))
    return (boxed(f"{n - 1}!"), ref), (boxed(f"{n}!"), ref)


def log_base(rng: random.Random) -> tuple[Pair, Pair]:
    b, k = rng.randint(2, 7), rng.randint(2, 6)
    ref = str(k)
    return (boxed(f"\\log_{{{b + 1}}} {b**k}"), ref), (boxed(f"\\log_{{{b}}} {b**k}"), ref)


_TRIG = {
    ("\\sin", 30): "\\frac{1}{2}", ("\\sin", 60): "\\frac{\\sqrt{3}}{2}",
    ("\\sin", 45): "\\frac{\\sqrt{2}}{2}", ("\\cos", 60): "\\frac{1}{2}",
    ("\\cos", 30): "\\frac{\\sqrt{3}}{2}", ("\\cos", 45): "\\frac{\\sqrt{2}}{2}",
    ("\\tan", 45): "1", ("\\tan", 60): "\\sqrt{3}", ("\\tan", 30): "\\frac{\\sqrt{3}}{3}",
    ("\\sin", 150): "\\frac{1}{2}", ("\\cos", 120): "-\\frac{1}{2}", ("\\sin", 90): "1",
}  # fmt: skip


def trig_degrees(rng: random.Random) -> tuple[Pair, Pair]:
    (func, angle), value = rng.choice(sorted(_TRIG.items()))
    good = _pick(rng, f"{func}({angle}^\\circ)", f"{func} {angle}^{{\\circ}}")
    return (boxed(f"{func}({angle})"), value), (boxed(good), value)


def draft_in_reasoning(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(1, 999)
    b = a + rng.randint(1, 9)
    return (f"<think>maybe $\\boxed{{{a}}}$</think> The answer is $\\boxed{{{b}}}$.", str(a)), (
        f"<think>maybe $\\boxed{{{b}}}$</think> The answer is $\\boxed{{{a}}}$.",
        str(a),
    )


def clock_time(rng: random.Random) -> tuple[Pair, Pair]:
    h, m = rng.randint(1, 11), rng.randint(0, 59)
    ref = f"{h}:{m:02d} \\text{{ pm}}"
    return (boxed(f"{h}:{m:02d} \\text{{ am}}"), ref), (boxed(f"{h + 12}:{m:02d}"), ref)


def ratio_order(rng: random.Random) -> tuple[Pair, Pair]:
    a, b = rng.sample(range(1, 12), 2)
    ref = f"{a}:{b}"
    return (boxed(f"{b}:{a}"), ref), (boxed(f"{a} : {b}"), ref)


def unit_in_sentence(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(2, 99)
    unit, other, good = rng.choice(
        [("meters", "centimeters", "{0}00 centimeters"), ("hours", "minutes", "{0}.0 hours"),
         ("liters", "milliliters", "{0}000 milliliters"), ("kilograms", "pounds", "{0} kg")]
    )  # fmt: skip
    ref = f"{a} \\text{{ {unit}}}"
    return (f"The answer is {a} {other}.", ref), (f"The answer is {good.format(a)}.", ref)


def tiny_vs_zero(rng: random.Random) -> tuple[Pair, Pair]:
    k = rng.randint(120, 900)
    miss = _pick(rng, f"e^{{-{k}}}", f"10^{{-{k}}}", f"\\frac{{1}}{{{k}!}}")
    n = rng.randint(1, 9)
    good = _pick(rng, f"\\sin({n}\\pi)", f"\\cos\\left(\\frac{{{2 * n - 1}\\pi}}{{2}}\\right)")
    return (boxed(miss), "0"), (boxed(good), "0")


def compound_quantity(rng: random.Random) -> tuple[Pair, Pair]:
    hours, minutes = rng.randint(1, 5), rng.randint(1, 59)
    ref = f"{hours * 60 + minutes} \\text{{ minutes}}"
    other = minutes + rng.choice([-1, 1]) if minutes > 1 else minutes + 1
    return (boxed(f"{hours} \\text{{ h }} {other} \\text{{ min}}"), ref), (
        boxed(f"{hours} \\text{{ hours }} {minutes} \\text{{ minutes}}"),
        ref,
    )


def scale_word(rng: random.Random) -> tuple[Pair, Pair]:
    mantissa = rng.randint(11, 99) / 10
    word, power = rng.choice([("thousand", 3), ("million", 6), ("billion", 9)])
    ref = str(round(mantissa * 10**power))
    wrong = {"thousand": "million", "million": "billion", "billion": "thousand"}[word]
    return (boxed(f"{mantissa:g} \\text{{ {wrong}}}"), ref), (
        boxed(f"{mantissa:g} \\text{{ {word}}}"),
        ref,
    )


def closing_correction(rng: random.Random) -> tuple[Pair, Pair]:
    a = rng.randint(1, 500)
    b = a + rng.randint(1, 20)
    marker = _pick(rng, "Wait, actually", "No wait,", "On second thought,", "Correction:")
    text = f"The answer is {a}. {marker} it's {b}."
    return (text, str(a)), (text, str(b))


def empty_set(rng: random.Random) -> tuple[Pair, Pair]:
    ref = _pick(rng, "\\text{no solution}", "\\text{No solutions}", "\\emptyset")
    a = rng.randint(-9, 9)
    miss = _pick(rng, f"\\{{{a}\\}}", "\\text{all real numbers}", f"x = {a}")
    good = _pick(rng, "\\emptyset", "\\varnothing", "\\text{there is no solution}")
    return (boxed(miss), ref), (boxed(good), ref)


FAMILIES = [
    Family("unit: prefix (km/m, kg/g)", unit_prefix),
    Family("unit: time", unit_time),
    Family("unit: speed", unit_speed),
    Family("unit: area", unit_area),
    Family("unit: mass", unit_mass),
    Family("unit: temperature", unit_temperature),
    Family("unit: other dimension", unit_dimension),
    Family("unit: currency", currency),
    Family("unit: count noun", count_noun),
    Family("unit: one side only", unit_one_side),
    Family("chart: units", chart_unit, "chart"),
    Family("chart: currency", chart_currency, "chart"),
    Family("percent: 100x apart", percent_scale),
    Family("percent: bare fraction", percent_fraction),
    Family("chart: percent", chart_percent, "chart"),
    Family("angle: rad vs degrees", angle_radians),
    Family("angle: pi in degrees", angle_pi_degrees),
    Family("tiny: factorials", tiny_factorial),
    Family("tiny: powers of 2", tiny_power),
    Family("tiny: exponentials", tiny_exp),
    Family("precision: fewer digits", fewer_digits),
    Family("precision: exact vs decimal", exact_vs_decimal),
    Family("precision: large values", relative_large),
    Family("choice: negated", choice_negated, "choice"),
    Family("choice: either/or", choice_either, "choice"),
    Family("choice: corrections", choice_correction, "choice"),
    Family("text: same meaning", text_meaning),
    Family("echo (evaluated)", echo, "math", {"evaluated": True}),
    Family("chain: value after =", chain),
    Family("inequality: flipped", inequality_flip),
    Family("inequality: quadratic", inequality_quadratic),
    Family("equation: y vs f(x)", function_label),
    Family("identity: logs", log_identity),
    Family("integral value", integral_value),
    Family("sum value", sum_value),
    Family("sign", sign_flip),
    Family("off by one", off_by_one),
    Family("tuple order", swapped_tuple),
    Family("interval brackets", interval_bracket),
    Family("hedged boxes", boxed_hedge),
    Family("reciprocal", reciprocal),
    Family("radicals", radical),
    Family("pi multiples", pi_multiple),
    Family("radicals vs decimals", sqrt_decimal),
    Family("scientific notation", scientific),
    Family("mixed numbers", mixed_number),
    Family("complex conjugate", complex_conjugate),
    Family("factorial value", factorial_value),
    Family("log base", log_base),
    Family("trig in degrees", trig_degrees),
    Family("draft in reasoning", draft_in_reasoning),
    Family("time of day", clock_time),
    Family("ratio order", ratio_order),
    Family("unit: in a sentence", unit_in_sentence),
    Family("tiny: against zero", tiny_vs_zero),
    Family("unit: compound", compound_quantity),
    Family("scale words", scale_word),
    Family("correction at the end", closing_correction),
    Family("empty set / no solution", empty_set),
]


def generate(seed: int) -> Iterator[tuple[str, Case]]:
    """(class, case) rows: NEAR_MISSES near-misses and REWRITES rewrites per class."""
    for family in FAMILIES:
        rng = random.Random(f"{seed}:{family.name}")
        misses: dict[Pair, None] = {}
        rewrites: dict[Pair, None] = {}
        for _ in range(50 * NEAR_MISSES):
            if len(misses) >= NEAR_MISSES and len(rewrites) >= REWRITES:
                break
            miss, rewrite = family.draw(rng)
            if len(misses) < NEAR_MISSES:
                misses.setdefault(miss)
            if len(rewrites) < REWRITES:
                rewrites.setdefault(rewrite)
        for pairs, correct in ((misses, False), (rewrites, True)):
            for response, reference in pairs:
                yield (
                    family.name,
                    Case(response, reference, correct, family.verifier, family.params),
                )


def run_mmreward(cases: list[Case], sandbox: Sandbox) -> tuple[list[bool], float]:
    start = time.perf_counter()
    outcomes: list[Verdict | Deferred] = []
    for case in cases:
        verify = VERIFIERS[case.verifier]
        outcomes.append(verify(case.response, case.reference, **case.params))
    deferred = [o for o in outcomes if isinstance(o, Deferred)]
    results = iter(sandbox.run_many(deferred))
    verdicts = [next(results) if isinstance(o, Deferred) else o for o in outcomes]
    return [v.correct is True for v in verdicts], time.perf_counter() - start


def run_math_verify(cases: list[Case]) -> tuple[list[bool], float]:
    from math_verify import parse, verify

    start = time.perf_counter()
    judged = []
    for case in cases:
        try:
            judged.append(bool(verify(parse(f"${case.reference}$"), parse(case.response))))
        except Exception:
            judged.append(False)
    return judged, time.perf_counter() - start


@dataclass
class Tally:
    misses: int = 0
    rewrites: int = 0
    false_accepts: int = 0
    false_rejects: int = 0

    def add(self, case: Case, accepted: bool) -> None:
        if case.correct:
            self.rewrites += 1
            self.false_rejects += not accepted
        else:
            self.misses += 1
            self.false_accepts += accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=2.0, help="sandbox limit per item (s)")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()

    rows = list(generate(args.seed))
    cases = [case for _, case in rows]
    sandbox = Sandbox(workers=1, timeout_s=args.timeout)
    try:
        mm, mm_seconds = run_mmreward(cases, sandbox)
    finally:
        sandbox.close()
    run_math_verify(cases[:5])
    mv, mv_seconds = run_math_verify(cases)

    tallies: dict[str, tuple[Tally, Tally]] = defaultdict(lambda: (Tally(), Tally()))
    for (name, case), a, b in zip(rows, mm, mv, strict=True):
        for key in (name, "total"):
            tallies[key][0].add(case, a)
            tallies[key][1].add(case, b)
    print(
        f"{len(FAMILIES)} classes, seed {args.seed}; mmreward {version('mmreward')}, "
        f"math-verify {version('math-verify')}"
    )
    print("| class | verifier | near-misses | false accepts mm / mv | rewrites | "
          "false rejects mm / mv |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|")
    verifiers = {f.name: f.verifier + (" (evaluated)" if f.params else "") for f in FAMILIES}
    for key in [*(f.name for f in FAMILIES), "total"]:
        a, b = tallies[key]
        print(
            f"| {key} | {verifiers.get(key, '')} | {a.misses} | {a.false_accepts} / "
            f"{b.false_accepts} | {a.rewrites} | {a.false_rejects} / {b.false_rejects} |"
        )
    print(f"seconds: mmreward {mm_seconds:.2f}, math-verify {mv_seconds:.2f}")
    if args.show_misses:
        for (name, case), accepted in zip(rows, mm, strict=True):
            if accepted != case.correct:
                kind = "false accept" if accepted else "false reject"
                print(f"{kind} [{name}] {case.response!r} for {case.reference!r}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
