from fractions import Fraction

import pytest

from mmreward.verifiers.latex import (
    LatexError,
    TooComplexError,
    normalize,
    parse_answer,
    parse_number_token,
)
from mmreward.verifiers.mathtree import (
    Add,
    Const,
    Degrees,
    Div,
    Func,
    Interval,
    Matrix,
    Mul,
    Neg,
    Num,
    Percent,
    PlusMinus,
    Relation,
    Seq,
    Sym,
    Text,
    Union,
)


def parse(text):
    return parse_answer(normalize(text))


def n(value, places=None):
    return Num(Fraction(value), places)


@pytest.mark.parametrize(
    ("token", "value", "places"),
    [
        ("12", Fraction(12), None),
        ("3.50", Fraction(7, 2), 2),
        (".5", Fraction(1, 2), 1),
        ("1.5e-3", Fraction(3, 2000), 4),
        ("6.02e23", Fraction(602) * 10**21, -21),
        ("2e3", Fraction(2000), None),  # an integer mantissa is exact
    ],
)
def test_number_tokens_keep_their_written_precision(token, value, places):
    assert parse_number_token(token) == Num(value, places)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234,567", "1234567"),
        ("1{,}000", "1000"),
        ("(1,100)", "(1,100)"),  # inside brackets a comma separates items
        ("\\dfrac{1}{2}", "\\frac{1}{2}"),
        ("\\left( 1, 2 \\right]", "( 1, 2 ]"),
        ("−5", "-5"),
        ("\\$18.00", "18.00"),
        ("5 \\text{ cm}^2", "5"),
        ("12 dollars", "12"),
        ("2n + m", "2n + m"),  # a bare letter after a letter is a variable, not metres
        ("50 percent", "50%"),
        ("30^{\\circ}", "30°"),
        ("x \\in [1, 2)", "[1, 2)"),
        ("1 \\text{ or } 2", "1, 2"),
        ("0.\\overline{3}", "\\frac{1}{3}"),
        ("\\mathbb{R}", "(-\\infty, \\infty)"),
        ("sqrt(2)", "\\sqrt(2)"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("\\frac12", Div(n(1), n(2))),
        ("2\\frac{1}{2}", n(Fraction(5, 2))),  # a mixed number, not 2 * 1/2
        ("-1\\frac{3}{4}", Neg(n(Fraction(7, 4)))),
        ("2\\frac{\\pi}{3}", Mul((n(2), Div(Const("pi"), n(3))))),
        ("\\sqrt 11", Func("sqrt", (n(11),))),
        ("\\sqrt[3]{8}", Func("root", (n(8), n(3)))),
        ("\\log_2 8", Func("log", (n(8), n(2)))),
        ("\\sin^{-1} x", Func("asin", (Sym("x"),))),
        ("5!", Func("factorial", (n(5),))),
        ("\\binom{5}{2}", Func("binom", (n(5), n(2)))),
        ("50%", Percent(n(50))),
        ("30^\\circ", Degrees(n(30))),
        ("2 \\pm \\sqrt{3}", PlusMinus(n(2), Func("sqrt", (n(3),)))),
        ("3+4i", Add((n(3), Mul((n(4), Const("i")))))),
        ("x_{10}", Sym("x_10")),
        ("\\{1, 2\\}", Seq("set", (n(1), n(2)))),
        ("(1, 2)", Seq("paren", (n(1), n(2)))),
        ("1, 2", Seq("list", (n(1), n(2)))),
        ("(1, 2]", Interval(n(1), n(2), False, True)),
        (
            "(-\\infty, 0) \\cup (1, \\infty)",
            Union((Seq("paren", (Neg(Const("inf")), n(0))), Seq("paren", (n(1), Const("inf"))))),
        ),
        ("-1 \\le x < 2", Relation((Neg(n(1)), Sym("x"), n(2)), ("<=", "<"))),
        ("y = 2x", Relation((Sym("y"), Mul((n(2), Sym("x")))), ("=",))),
        ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", Matrix(((n(1), n(2)), (n(3), n(4))))),
        ("\\text{Yes}", Text("yes")),
        ("Monday", Text("monday")),
        ("5 \\text{ apples}", n(5)),
    ],
)
def test_parse(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize("text", ["\\foo{1}", "(1, 2", "1 +", "\\frac{1}", "2 3"])
def test_unreadable_text_raises(text):
    with pytest.raises(LatexError):
        parse(text)


def test_an_array_column_spec_that_never_closes_is_refused():
    with pytest.raises(LatexError):
        parse("\\begin{array}{")


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "1" + ")" * 10_000,
        "(" * 500 + "1" + ")" * 500,
        "\\frac{1}{" * 300 + "2" + "}" * 300,
        "-" * 1000 + "1",
        "2^{" * 200 + "2" + "}" * 200,
        "\\sqrt{" * 300 + "2" + "}" * 300,
        "1 \\pm " * 100 + "1",
        "|" * 500,
    ],
    ids=[
        "parens-10k",
        "parens-500",
        "fractions",
        "minus-signs",
        "powers",
        "radicals",
        "pm",
        "bars",
    ],
)
def test_absurd_nesting_is_refused(text):
    with pytest.raises(TooComplexError):
        parse(text)


def test_long_chains_parse_flat():
    """A long product or quotient is one wide node, so later tree walks never recurse deep."""
    product = parse("*".join(["2"] * 900))
    assert isinstance(product, Mul)
    assert len(product.factors) == 900
    quotient = parse("/".join(["2"] * 900))
    assert isinstance(quotient, Div)
    assert isinstance(quotient.den, Mul)
    assert len(quotient.den.factors) == 899


def test_long_and_huge_literals_are_refused():
    with pytest.raises(TooComplexError):
        parse("9" * 2500)  # more digits than an answer has
    with pytest.raises(TooComplexError):
        parse("1+" * 1500 + "1")  # more tokens
    with pytest.raises(TooComplexError):
        parse("1" * 5000)  # more characters


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (r"48,\! 210", "48210"),
        (r"a = 1,\ b = 2", "a = 1, b = 2"),
        (r"x_1 = 2,\quadx_2 = 3", "x_1 = 2, x_2 = 3"),
        (r"\frac{\sqrt{2}}{2} \approx 0.707", r"\frac{\sqrt{2}}{2}"),
        (r"y \approx 0.707", r"y \approx 0.707"),
        (r"\approx 0.707", r"\approx 0.707"),
        (r"= \frac{3}{4}", r"\frac{3}{4}"),
        ("312\\", "312"),
        ("3:15 pm", "15:15"),
        (r"12:30 \text{ a.m.}", "0:30"),
        ("13:15 pm", "13:15 pm"),
        ("\\frac{1}{2}\\\\", "\\frac{1}{2}\\\\"),
    ],
)
def test_normalize_conformance_spellings(raw, normalised):
    assert normalize(raw) == normalised


def test_ratios_and_times_parse_as_ratios():
    from mmreward.verifiers.mathtree import Ratio

    assert parse("12:00") == Ratio((n(12), n(0)))
    assert parse("S_{ABC}:S = 5:9") == Relation(
        (Ratio((Sym("S_ABC"), Sym("S"))), Ratio((n(5), n(9)))), ("=",)
    )


def test_braces_without_a_backslash_group_a_list():
    assert parse("{1, 3}") == Seq("list", (n(1), n(3)))
    assert parse(r"\{1, 3\}") == Seq("set", (n(1), n(3)))


def test_a_subscript_is_a_name_not_a_word():
    assert not isinstance(parse("S_{MBCN} = 4"), Text)


def test_sums_and_products_parse_with_their_index_and_bounds():
    assert parse(r"\sum_{k=1}^{n} k^2 + 1") == Add(
        (Func("sum", (parse("k^2"), Sym("k"), n(1), Sym("n"))), n(1))
    )
    assert parse(r"\prod_{j=2}^{5} j x_j") == Func(
        "prod", (Mul((Sym("j"), Sym("x_j"))), Sym("j"), n(2), n(5))
    )
    with pytest.raises(LatexError):
        parse(r"\sum k")
