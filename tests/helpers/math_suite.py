"""Labelled cases for the math verifier, one or more per answer form the verifier must handle.

`correct` is what a careful grader awards: the response's final answer is the reference answer,
in any equivalent notation. Close wrong answers sit beside the right ones. Two labelling rules
worth stating: a reference written as a decimal stands for every value that rounds to it (`6.28`
accepts `2\\pi`), while an exact reference (integer, fraction, radical) needs an exact answer
(`\\frac{1}{3}` rejects `0.3333`); a unit or `%` on one side only does not change the number
(`50\\%` accepts `50` and `0.5`, but `0.5` rejects `50`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MathCase:
    form: str
    reference: str
    response: str
    correct: bool

    @property
    def id(self) -> str:
        return f"{self.form}:{self.reference}|{self.response[-40:]}"


def _boxed(form: str, rows: list[tuple[str, str, bool]]) -> list[MathCase]:
    return [MathCase(form, ref, f"\\boxed{{{answer}}}", ok) for ref, answer, ok in rows]


_LONG = "Let us check each case carefully and keep track of the running total. " * 300

CASES: list[MathCase] = [
    *_boxed(
        "integer",
        [
            ("42", "42", True),
            ("42", "43", False),
            ("-7", "-7", True),
            ("-7", "7", False),
            ("0", "0", True),
            ("0", "-0", True),
            ("3", "3.0", True),
            ("3", "3.01", False),
            ("−5", "-5", True),
            ("-5", "−5", True),
            ("123456789012345678901234567890", "123456789012345678901234567891", False),
        ],
    ),
    *_boxed(
        "decimal",
        [
            ("0.5", "\\frac{1}{2}", True),
            ("0.5", ".5", True),
            ("0.25", "0.26", False),
            ("3.14", "\\pi", True),
            ("3.14", "3.15", False),
            ("6.28", "2\\pi", True),
            ("6.28", "6.3", False),
            ("1.414", "\\sqrt{2}", True),
            ("1.41", "\\sqrt{3}", False),
            ("2.50", "2.5", True),
            ("0.333", "\\frac{1}{3}", True),
            ("0.1", "0.2", False),
            ("0.001", "0.002", False),
        ],
    ),
    *_boxed(
        "fraction",
        [
            ("\\frac{1}{2}", "0.5", True),
            ("\\frac{1}{2}", "1/2", True),
            ("\\frac{1}{2}", "\\dfrac{1}{2}", True),
            ("\\frac{1}{2}", "\\tfrac12", True),
            ("\\frac{2}{3}", "\\frac{4}{6}", True),
            ("\\frac{2}{3}", "0.67", False),
            ("\\frac{1}{3}", "0.3333", False),
            ("\\frac{3}{4}", "\\frac{4}{3}", False),
            ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", False),
            ("\\frac{1}{2^{99}}", "2^{-99}", True),
            ("-\\frac{3}{4}", "\\frac{-3}{4}", True),
            ("-\\frac{3}{4}", "\\frac{3}{4}", False),
            ("\\frac{7}{2}", "3.5", True),
            ("10^{-20}", "10^{-21}", False),
            ("\\frac{1}{1000000007}", "\\frac{1}{1000000009}", False),
            ("\\frac{\\sqrt{2}}{2}", "\\dfrac{\\sqrt2}{2}", True),
        ],
    ),
    *_boxed(
        "mixed_number",
        [
            ("\\frac{5}{2}", "2\\frac{1}{2}", True),
            ("2\\frac{1}{2}", "2.5", True),
            ("2\\frac{1}{2}", "1", False),
            ("-1\\frac{3}{4}", "-\\frac{7}{4}", True),
            ("3\\frac{1}{3}", "\\frac{10}{3}", True),
        ],
    ),
    *_boxed(
        "scientific",
        [
            ("1.5 \\times 10^{-3}", "0.0015", True),
            ("0.0015", "1.5e-3", True),
            ("6.02 \\times 10^{23}", "6.02e23", True),
            ("6.02 \\times 10^{23}", "6.2 \\times 10^{23}", False),
            ("3 \\times 10^{8}", "300000000", True),
            ("3 \\times 10^{8}", "3 \\times 10^{9}", False),
        ],
    ),
    *_boxed(
        "thousands_currency_units",
        [
            ("1000000", "1,000,000", True),
            ("1000000", "100000", False),
            ("1234", "1{,}234", True),
            ("18", "\\$18", True),
            ("5", "5 \\text{ cm}", True),
            ("5", "5\\text{cm}^2", True),
            ("5", "6 \\text{ cm}", False),
            ("12", "12 \\mbox{ apples}", True),
            ("3.5", "3.5 \\text{ hours}", True),
            ("100", "\\$100.00", True),
            ("7", "7 \\text{ m}", True),
        ],
    ),
    MathCase("thousands_currency_units", "12345", "The answer is 12,345.", True),
    MathCase("thousands_currency_units", "18", "The answer is \\$18.00.", True),
    MathCase("thousands_currency_units", "18", "She earns 18 dollars.\n#### 18", True),
    MathCase("thousands_currency_units", "1234567", "Adding up.\n#### 1,234,567", True),
    *_boxed(
        "percent",
        [
            ("50\\%", "50", True),
            ("50\\%", "0.5", True),
            ("0.5", "50\\%", True),
            ("0.5", "50", False),
            ("25\\%", "20\\%", False),
            ("12.5\\%", "\\frac{1}{8}", True),
            ("40", "40 \\%", True),
        ],
    ),
    *_boxed(
        "radical",
        [
            ("2\\sqrt{2}", "\\sqrt{8}", True),
            ("\\sqrt{2}", "\\sqrt{3}", False),
            ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", True),
            ("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{3}}{3}", False),
            ("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}", True),
            ("\\sqrt[3]{8}", "2", True),
            ("3\\sqrt{5}", "\\sqrt{45}", True),
            ("3\\sqrt{5}", "5\\sqrt{3}", False),
            ("\\sqrt{2}+\\sqrt{3}", "\\sqrt{5+2\\sqrt{6}}", True),
            ("1+\\sqrt{2}", "\\frac{1}{\\sqrt{2}-1}", True),
            ("\\sqrt{2}", "1.41421356", False),
            ("4\\sqrt{3}", "\\sqrt{48}", True),
            ("\\sqrt{3}", "√3", True),
        ],
    ),
    *_boxed(
        "pi_e",
        [
            ("\\pi", "\\pi", True),
            ("2\\pi", "\\pi \\cdot 2", True),
            ("e^2", "e^{2}", True),
            ("e", "\\exp(1)", True),
            ("\\frac{\\pi^2}{6}", "\\pi^2/6", True),
            ("\\pi r^2", "r^2 \\pi", True),
            ("\\frac{\\pi}{4}", "\\frac{\\pi}{2}", False),
            ("\\pi", "3.14", False),
            ("e^{\\pi}", "\\pi^{e}", False),
            ("\\frac{9\\pi}{2}", "4.5\\pi", True),
        ],
    ),
    *_boxed(
        "log",
        [
            ("3", "\\log_2 8", True),
            ("\\ln 2", "\\ln(2)", True),
            ("2\\ln 2", "\\ln 4", True),
            ("\\log_2 3", "\\frac{\\ln 3}{\\ln 2}", True),
            ("\\log_2 3", "\\log_3 2", False),
            ("\\ln 2", "\\ln 3", False),
            ("2", "\\log_{3} 9", True),
        ],
    ),
    *_boxed(
        "trig",
        [
            ("\\frac{1}{2}", "\\sin 30^\\circ", True),
            ("\\frac{\\sqrt{3}}{2}", "\\cos(\\pi/6)", True),
            ("1", "\\sin^2 x + \\cos^2 x", True),
            ("\\tan x", "\\frac{\\sin x}{\\cos x}", True),
            ("\\sin 2x", "2\\sin x\\cos x", True),
            ("\\sin x", "\\cos x", False),
            ("\\frac{\\pi}{6}", "\\arcsin(1/2)", True),
            ("\\frac{\\sqrt{2}}{2}", "\\sin(\\pi/3)", False),
        ],
    ),
    *_boxed(
        "factorial_binomial",
        [
            ("120", "5!", True),
            ("720", "5!", False),
            ("10", "\\binom{5}{2}", True),
            ("\\binom{10}{3}", "120", True),
            ("\\binom{10}{3}", "\\binom{10}{7}", True),
            ("\\binom{10}{3}", "\\binom{10}{4}", False),
            ("3628800", "10!", True),
            ("\\frac{10!}{8!}", "90", True),
            ("\\dbinom{6}{3}", "20", True),
        ],
    ),
    *_boxed(
        "polynomial",
        [
            ("x^2+2x+1", "(x+1)^2", True),
            ("x^2-1", "(x-1)(x+1)", True),
            ("x^2-1", "(x-1)^2", False),
            ("x^3 - 3x^2 + 3x - 1", "(x-1)^3", True),
            ("2x+3", "3+2x", True),
            ("2x+3", "2x-3", False),
            ("a^2 - b^2", "(a+b)(a-b)", True),
            ("\\frac{x^2-1}{x-1}", "x+1", True),
            ("6x^2", "6x^{2}", True),
            ("x^2 + x", "x(x+1)", True),
            ("x^2 + x", "x^2 + 2x", False),
            ("(x+2)(x-3)", "x^2 - x - 6", True),
            ("(x+2)(x-3)", "x^2 + x - 6", False),
        ],
    ),
    *_boxed(
        "equation",
        [
            ("5", "x = 5", True),
            ("x = 5", "5", True),
            ("x = 5", "x = 6", False),
            ("y = 2x + 1", "2x - y + 1 = 0", True),
            ("y = 2x + 1", "y = 2x - 1", False),
            ("y = 2x + 1", "y - 1 = 2x", True),
            ("x^2 + y^2 = 25", "y^2 + x^2 = 25", True),
            ("x^2 + y^2 = 25", "x^2 + y^2 = 5", False),
            ("2x + 4y = 8", "x + 2y = 4", True),
            ("y = 3x", "3x", True),
            ("y = x^2", "y = x^3", False),
        ],
    ),
    *_boxed(
        "set_unordered",
        [
            ("\\{1, 2, 3\\}", "\\{3, 2, 1\\}", True),
            ("\\{1, 2, 3\\}", "\\{1, 2\\}", False),
            ("1, 2, 3", "3, 1, 2", True),
            ("2, 3", "x = 2 \\text{ or } x = 3", True),
            ("2, 3", "2, 4", False),
            ("-1, 1", "\\pm 1", True),
            ("2+\\sqrt{3}, 2-\\sqrt{3}", "2 \\pm \\sqrt{3}", True),
            ("\\{-2, 5\\}", "x=5, x=-2", True),
            ("\\emptyset", "\\varnothing", True),
            ("\\{\\frac{1}{2}, 2\\}", "\\{0.5, 2\\}", True),
            ("\\{1, 2\\}", "\\{1, 2, 3\\}", False),
            ("1, -1", "1", False),
        ],
    ),
    *_boxed(
        "tuple",
        [
            ("(1, 2)", "(1, 2)", True),
            ("(1, 2)", "(2, 1)", False),
            ("(1, -2, 3)", "\\left(1,-2,3\\right)", True),
            ("(\\frac{1}{2}, 3)", "(0.5, 3)", True),
            ("(3, 4)", "x = 3, y = 4", True),
            ("(1, 2, 3)", "(1, 2)", False),
            ("(2, -1)", "(2, 1)", False),
        ],
    ),
    *_boxed(
        "interval",
        [
            ("[1, 2)", "[1, 2)", True),
            ("[1, 2)", "[1, 2]", False),
            ("(-\\infty, 3)", "(-\\infty, 3]", False),
            ("(-\\infty, 0) \\cup (1, \\infty)", "(1, \\infty) \\cup (-\\infty, 0)", True),
            ("(-\\infty, 0) \\cup (1, \\infty)", "(-\\infty, 0] \\cup (1, \\infty)", False),
            ("[2, 5]", "x \\in [2, 5]", True),
            ("(0, 1)", "(0, 1]", False),
            ("[0, \\frac{1}{2}]", "[0, 0.5]", True),
        ],
    ),
    *_boxed(
        "inequality",
        [
            ("(3, \\infty)", "x > 3", True),
            ("(3, \\infty)", "x \\ge 3", False),
            ("x \\le 2", "(-\\infty, 2]", True),
            ("-1 \\le x < 2", "[-1, 2)", True),
            ("-1 < x < 2", "[-1, 2)", False),
            ("(-\\infty, -1) \\cup (2, \\infty)", "x < -1 \\text{ or } x > 2", True),
            ("x > 5", "5 < x", True),
            ("x \\geq 1", "x > 1", False),
        ],
    ),
    *_boxed(
        "matrix",
        [
            (
                "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
                "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}",
                True,
            ),
            (
                "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
                "\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}",
                False,
            ),
            (
                "\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}",
                "\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}",
                True,
            ),
            ("\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}", "(1, -2)", True),
            (
                "\\begin{pmatrix} 1/2 & 0 \\\\ 0 & 1 \\end{pmatrix}",
                "\\begin{pmatrix} 0.5 & 0 \\\\ 0 & 1 \\end{pmatrix}",
                True,
            ),
            (
                "\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}",
                "\\begin{pmatrix} -2 \\\\ 1 \\end{pmatrix}",
                False,
            ),
        ],
    ),
    *_boxed(
        "infinity",
        [
            ("\\infty", "\\infty", True),
            ("\\infty", "-\\infty", False),
            ("-\\infty", "-\\infty", True),
            ("\\infty", "+\\infty", True),
        ],
    ),
    MathCase(
        "infinity", "\\infty", "The limit grows without bound, so the answer is infinity.", True
    ),
    *_boxed(
        "degrees",
        [
            ("30^\\circ", "30", True),
            ("30", "30^\\circ", True),
            ("30^\\circ", "\\frac{\\pi}{6}", True),
            ("45^\\circ", "30^\\circ", False),
            ("90", "90 \\text{ degrees}", True),
            ("60^{\\circ}", "60°", True),
        ],
    ),
    *_boxed(
        "text",
        [
            ("\\text{Yes}", "yes", True),
            ("Yes", "\\text{No}", False),
            ("\\text{(B)}", "B", True),
            ("odd", "\\text{even}", False),
            ("\\text{no solution}", "\\text{No Solution}", True),
        ],
    ),
    MathCase("text", "\\text{East}", "The answer is east.", True),
    MathCase("extraction", "7", "I first thought 5. The final answer is 7.", True),
    MathCase("extraction", "7", "<think>maybe 5</think><answer>7</answer>", True),
    MathCase("extraction", "7", "<answer>The answer is 7</answer>", True),
    MathCase(
        "extraction",
        "72",
        "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips.\n#### 72",
        True,
    ),
    MathCase("extraction", "10", "First \\boxed{5}, then corrected: \\boxed{10}", True),
    MathCase("extraction", "\\frac{1}{2}", "So $x = \\fbox{$\\frac{1}{2}$}$", True),
    MathCase("extraction", "3", "We computed that the value is 3", True),
    MathCase("extraction", "3", "no idea", False),
    MathCase("extraction", "4", "Answer: 4", True),
    MathCase("extraction", "4", "**Answer:** 5", False),
    MathCase("extraction", "12", _LONG + "so the total is \\boxed{12}.", True),
    MathCase("extraction", "12", _LONG + "so the total is \\boxed{13}.", False),
    MathCase("extraction", "2", "Dividing, $x = \\frac{4}{2}$.", True),
    MathCase("extraction", "\\frac{3}{5}", "The probability is $\\boxed{\\dfrac{3}{5}}$.", True),
]
