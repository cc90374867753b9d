"""Unit conversions written into an answer's LaTeX, so the one parser and comparison judge it.

A converted answer is still text: `500` in cm against a reference in m becomes
`\\frac{1}{100}\\cdot(500)`, and an angle in radians becomes degrees (`(x\\cdot\\frac{180}{\\pi})°`)
for the math verifier's degree rules.
"""

from __future__ import annotations

from fractions import Fraction

from mmreward.verifiers.units import Conversion, Unit, angle_in_degrees


def converted(value: str, conversion: Conversion) -> str:
    """`value` (normalised LaTeX) times the conversion's scale, plus its offset."""
    if conversion.scale == 1 and conversion.offset == 0:
        return value
    text = f"{_fraction(conversion.scale)}\\cdot({value})"
    if conversion.offset:
        sign = "+" if conversion.offset > 0 else "-"
        text += f"{sign}{_fraction(abs(conversion.offset))}"
    return text


def in_degrees(value: str, unit: Unit) -> str:
    """An angle in `unit` as a number of degrees, `(…)°`."""
    factor, pi_power = angle_in_degrees(unit)
    scale = _fraction(factor) + ("\\cdot\\frac{1}{\\pi}" if pi_power < 0 else "")
    return f"(({value})\\cdot {scale})°"


def _fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return f"{value.numerator}"
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
