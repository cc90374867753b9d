import pytest

from mmreward.verifiers.guards import TooLargeError, check_magnitude, is_growing_tower
from mmreward.verifiers.latex import normalize, parse_answer


def tree(text):
    return parse_answer(normalize(text))


@pytest.mark.parametrize(
    "text",
    [
        "2^{2^{2^{2^{99}}}}",
        "9^{9^{9^9}}",
        "(10^{1000000})!",
        "10^{10^{10}} - 10^{10^{10}} + 1",
        "\\binom{10^{9}}{3}",
        "e^{10^{12}}",
        "\\sin(10^{10^{5}})",
        "x^{10^{20}}",
    ],
)
def test_hopeless_expressions_are_refused(text):
    with pytest.raises(TooLargeError):
        check_magnitude(tree(text))


@pytest.mark.parametrize(
    "text",
    [
        "2^{1000}",
        "1^{10^{100}}",
        "(10^{5})!",
        "\\frac{1}{2^{99}}",
        "e^{100}",
        "\\sin(10^{300})",
        "x^{100} + y^{2}",
        "\\{2^{64}, 3^{40}\\}",
        "0^{10^{100}}",
    ],
)
def test_large_but_computable_expressions_pass(text):
    check_magnitude(tree(text))


@pytest.mark.parametrize(
    ("text", "growing"),
    [
        ("2^{2^{2^{99}}}", True),
        ("9^{9^{9^9}} + 1", True),
        ("(10^{100})!", True),
        ("2^{2^{99}} - 1", False),  # a difference can be small
        ("1^{10^{100}}", False),  # 1 to any power is 1
        ("(1^{5})^{10^{100}}", False),
        ("x^{10^{100}}", False),
    ],
)
def test_growing_towers(text, growing):
    assert is_growing_tower(tree(text)) is growing
