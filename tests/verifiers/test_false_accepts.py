"""Wrong answers that look right, and right answers that look different: one table per rule
(units, percent, angles, precision, negation, echoes, equations), each near-miss beside the
rewrite it must not be confused with."""

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from mmreward import recipes
from mmreward.recipes.loading import load_recipe_file
from mmreward.verifiers import verify
from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.math import verify_math
from mmreward.verifiers.registry import VERIFIERS
from mmreward.verifiers.units import split_unit


def judge(response, reference, **params):
    outcome = verify_math(response, reference, **params)
    return outcome.run_inline() if isinstance(outcome, Deferred) else outcome


UNITS = [
    # different units of one dimension: converted, never read as the same number
    ("\\boxed{5 \\text{ km}}", "5 \\text{ m}", False),
    ("\\boxed{500 \\text{ cm}}", "5 \\text{ m}", True),
    ("\\boxed{0.005 \\text{ km}}", "5 \\text{ m}", True),
    ("\\boxed{180 \\text{ minutes}}", "3 \\text{ hours}", True),
    ("\\boxed{3 \\text{ minutes}}", "3 \\text{ hours}", False),
    ("\\boxed{1 \\text{ foot}}", "12 \\text{ inches}", True),
    ("\\boxed{12 \\text{ feet}}", "12 \\text{ inches}", False),
    ("\\boxed{\\frac{5}{2} \\text{ hours}}", "150 \\text{ minutes}", True),
    ("\\boxed{2 \\text{ kg}}", "2000 \\text{ g}", True),
    ("\\boxed{2 \\text{ lb}}", "2 \\text{ kg}", False),
    # different dimensions
    ("\\boxed{25 \\text{ cm}}", "25 \\text{ cm}^2", False),
    ("\\boxed{25 \\text{ cm}^2}", "25 \\text{ cm}^2", True),
    ("\\boxed{2500 \\text{ mm}^2}", "25 \\text{ cm}^2", True),
    ("\\boxed{60 \\text{ mph}}", "60 \\text{ km/h}", False),
    ("\\boxed{36 \\text{ km/h}}", "10 \\text{ m/s}", True),
    ("\\boxed{5 \\text{ kg}}", "5 \\text{ m}", False),
    ("\\boxed{8 \\text{ square meters}}", "8 \\text{ m}^2", True),
    # temperatures convert with their offsets
    ("\\boxed{25^\\circ\\text{F}}", "25^\\circ\\text{C}", False),
    ("\\boxed{77^\\circ\\text{F}}", "25^\\circ\\text{C}", True),
    ("\\boxed{298.15 \\text{ K}}", "25^\\circ C", True),
    # money: the same currency only
    ("\\boxed{\\$20}", "20 euros", False),
    ("\\boxed{20 \\text{ dollars}}", "\\$20", True),
    ("\\boxed{50 \\text{ cents}}", "\\$0.50", True),
    ("\\boxed{£20}", "\\$20", False),
    # nouns: the same head noun
    ("\\boxed{3 apples}", "3 oranges", False),
    ("\\boxed{3 \\text{ apples}}", "3 apples", True),
    ("\\boxed{1 \\text{ apple}}", "1 \\text{ apples}", True),
    ("\\boxed{12 \\text{ square units}}", "12 \\text{ units}", False),
    # a unit on one side only: the numbers as written
    ("\\boxed{5}", "5 \\text{ m}", True),
    ("\\boxed{5 \\text{ m}}", "5", True),
    ("\\boxed{500 \\text{ cm}}", "5", False),
    ("\\boxed{2\\sqrt{3} \\text{ cm}}", "2\\sqrt{3}", True),
    # variables are not units
    ("\\boxed{2n + m}", "2n + m", True),
    ("\\boxed{2x}", "2y", False),
]


@pytest.mark.parametrize(("response", "reference", "correct"), UNITS)
def test_units_convert_within_a_dimension_and_never_across(response, reference, correct):
    assert judge(response, reference).correct is correct


def test_a_unit_mismatch_says_so():
    verdict = judge("\\boxed{\\$20}", "20 euros")
    assert verdict.reason == "unit_mismatch"
    assert verdict.details["via"] == "units"


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{\\text{10} km}", "10 m", False),
        ("\\boxed{\\text{10} km}", "10000 m", True),
        ("\\boxed{\\mathrm{10} dollars}", "10 euros", False),
        ("\\boxed{\\text{10} \\text{ dollars}}", "\\$10", True),
    ],
)
def test_a_wrapped_number_before_its_unit_is_the_value(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{£5 apples}", "\\$5", False),
        ("\\boxed{USD 5 apples}", "5 euros", False),
        ("\\boxed{£5 apples}", "£5", True),
    ],
)
def test_a_sum_of_money_keeps_its_currency_whatever_follows(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("5 \\text{ km}", "5", "physical"),
        ("9.8 \\text{ m/s}^2", "9.8", "physical"),
        ("3 miles per hour", "3", "physical"),
        ("100 degrees Fahrenheit", "100", "temperature"),
        ("\\$0.50", "0.50", "currency"),
        ("30 \\text{ rad}", "30", "angle"),
        ("5 years old", "5", "physical"),
        ("7 red apples", "7", "noun"),
        ("2n + m", "2n + m", None),
        ("30^\\circ", "30^\\circ", None),
        ("45 percent", "45 percent", None),
        ("3 a", "3 a", None),
        ("3:15 \\text{ pm}", "3:15 \\text{ pm}", None),
    ],
)
def test_split_unit_reads_the_tail(text, value, kind):
    rest, unit = split_unit(text)
    assert rest == value
    assert (unit.kind if unit is not None else None) == kind


CHART_UNITS = [
    ("12 kg", "12 lb", False),
    ("3.5 minutes", "3.5 hours", False),
    ("180 minutes", "3 hours", True),
    ("5.4 kg", "5.4", True),
    ("$20", "20 euros", False),
    ("About 45 people", "45", True),
]


@pytest.mark.parametrize(("response", "reference", "correct"), CHART_UNITS)
def test_chart_answers_follow_the_same_unit_rules(response, reference, correct):
    assert verify("chart", response, reference).correct is correct


PERCENT = [
    ("\\boxed{1\\%}", "100\\%", False),
    ("\\boxed{0.25\\%}", "25\\%", False),
    ("\\boxed{\\frac{1}{2}}", "0.5\\%", False),
    ("\\boxed{25\\%}", "25\\%", True),
    ("\\boxed{0.25}", "25\\%", True),
    ("\\boxed{\\frac14}", "25\\%", True),
    ("\\boxed{25}", "25\\%", True),
    ("\\boxed{25\\%}", "0.25", True),
    ("\\boxed{25\\%}", "25", True),
    ("\\boxed{25\\%}", "\\frac{1}{4}", True),
    ("\\boxed{50\\%}", "\\frac{1}{4}", False),
    ("\\boxed{-5\\%}", "-0.05", True),
    ("\\boxed{12.5 \\text{ percent}}", "12.5\\%", True),
]


@pytest.mark.parametrize(("response", "reference", "correct"), PERCENT)
def test_percent_is_a_value_and_two_percentages_compare_their_numbers(response, reference, correct):
    assert judge(response, reference).correct is correct


ANGLES = [
    ("\\boxed{30 \\text{ rad}}", "30^\\circ", False),
    ("\\boxed{\\frac{\\pi}{6}^\\circ}", "\\frac{\\pi}{6}", False),
    ("\\boxed{\\frac{\\pi}{6}}", "30^\\circ", True),
    ("\\boxed{30}", "30^\\circ", True),
    ("\\boxed{30^\\circ}", "\\frac{\\pi}{6}", True),
    ("\\boxed{30^\\circ}", "30", True),
    ("\\boxed{\\frac{\\pi}{6} \\text{ rad}}", "30^\\circ", True),
    ("\\boxed{\\frac{\\pi}{6} \\text{ radians}}", "\\frac{\\pi}{6}", True),
    ("\\boxed{60^\\circ}", "\\frac{\\pi}{6}", False),
    ("\\boxed{30 \\text{ degrees}}", "30^\\circ", True),
]


@pytest.mark.parametrize(("response", "reference", "correct"), ANGLES)
def test_degrees_and_radians_are_units(response, reference, correct):
    assert judge(response, reference).correct is correct


PRECISION = [
    ("\\boxed{\\frac{1}{2005!}}", "\\frac{1}{2004!}", False),
    ("\\boxed{\\frac{2}{2004!}}", "\\frac{1}{2004!}", False),
    ("\\boxed{\\frac{1}{2004!}}", "\\frac{1}{2004!}", True),
    ("\\boxed{e^{-300}}", "e^{-301}", False),
    ("\\boxed{10^{-60}}", "0", False),
    ("\\boxed{\\sin(\\pi)}", "0", True),
    # a decimal reference stands for what rounds to it; an exact one needs the exact value
    ("\\boxed{2\\pi}", "6.28", True),
    ("\\boxed{6.3}", "6.28", False),
    ("\\boxed{6.283}", "6.28", True),
    ("\\boxed{0.333}", "\\frac{1}{3}", False),
    ("\\boxed{\\frac{1}{3}}", "0.333", True),
    ("\\boxed{3.14}", "\\pi", False),
]


@pytest.mark.parametrize(("response", "reference", "correct"), PRECISION)
def test_tolerances_are_relative_and_follow_the_written_precision(response, reference, correct):
    assert judge(response, reference).correct is correct


CHOICES = [
    ("The answer is not (A).", "A", None),
    ("The answer is (B), not (A).", "B", True),
    ("A, no wait, D", "D", True),
    ("A, no wait, D", "A", False),
    ("I first leaned to (B); on reflection it is (C).", "C", True),
    ("I first leaned to (B); on reflection it is (C).", "B", False),
    ("either A or B", "A", False),
    ("It is not A but B", "B", True),
    ("(A) is wrong, so the answer is (C).", "C", True),
    ("(A) is wrong.", "A", None),
    ("The answer is (C).", "C", True),
    ("A triangle has three sides, so the answer is (B).", "B", True),
]


@pytest.mark.parametrize(("response", "reference", "correct"), CHOICES)
def test_the_last_committed_choice_counts_and_a_negated_one_is_none(response, reference, correct):
    verdict = verify("choice", response, reference)
    if correct is None:
        assert verdict.status == "no_answer"
        assert verdict.reward == 0.0
    else:
        assert verdict.correct is correct


ECHOES = [
    ("\\boxed{37+48}", "85", False),
    ("\\boxed{80+5}", "85", False),
    ("\\boxed{\\frac{170}{2}}", "85", True),
    ("\\boxed{4!}", "24", False),
    ("\\boxed{\\sqrt{16}}", "4", False),
    ("\\boxed{85}", "85", True),
    ("\\boxed{85.0}", "85", True),
    ("\\boxed{-\\frac{2}{7}}", "-\\frac{2}{7}", True),
    ("$37 + 48 = 85$", "85", True),
    ("\\boxed{2\\sqrt{3}}", "\\sqrt{12}", True),
]


@pytest.mark.parametrize(("response", "reference", "correct"), ECHOES)
def test_evaluated_rejects_an_unevaluated_copy_of_the_question(response, reference, correct):
    verdict = judge(response, reference, evaluated=True)
    assert verdict.correct is correct
    if not correct:
        assert verdict.reason == "not_evaluated"


def test_evaluated_is_off_unless_asked_and_on_in_the_rl_recipes():
    assert judge("\\boxed{37+48}", "85").correct is True
    builtin = Path(recipes.__file__).parent / "builtin"
    for name in ("math", "math_format", "r1v"):
        recipe = load_recipe_file(builtin / f"{name}.yaml")
        accuracy = next(c for c in recipe.components if c.kind == "accuracy")
        assert accuracy.params["evaluated"] is True


OTHER_GRADERS = [
    # the value after the last `=` of a worked chain
    ("$\\binom{6}{2} = 15$", "15", True),
    ("$\\sqrt{9} = 3$", "3", True),
    ("$\\sqrt{9} = 3$", "9", False),
    ("$2 + 2 = 5$", "4", False),
    # equations and inequalities written the other way round
    ("\\boxed{p<q}", "q>p", True),
    ("\\boxed{p>q}", "q>p", False),
    ("\\boxed{p \\le q}", "q>p", False),
    ("\\boxed{3x \\geq x^2}", "x^2 \\leq 3x", True),
    ("\\boxed{3x > x^2}", "x^2 \\leq 3x", False),
    ("\\boxed{y = 5x - 1}", "f(x) = 5x - 1", True),
    ("\\boxed{y = 5x + 1}", "f(x) = 5x - 1", False),
    # identities that hold on the real domain
    ("\\boxed{\\ln((x+2)/(2-x))}", "-\\ln((2-x)/(x+2))", True),
    ("\\boxed{\\ln((x+2)/(2-x))}", "\\ln((2-x)/(x+2))", False),
    # a definite integral or sum is its value
    ("\\boxed{\\int_0^1 x^2 \\, dx}", "\\frac13", True),
    ("\\boxed{\\int_0^1 x^3 dx}", "\\frac13", False),
    ("\\boxed{\\int_{0}^{\\pi} \\sin(t) \\,dt}", "2", True),
    ("\\boxed{\\sum_{k=1}^{10} k}", "55", True),
    ("\\boxed{\\sum_{k=1}^{10} k}", "56", False),
    # worded answers that mean the same
    ("\\boxed{impossible}", "\\text{not possible}", True),
    ("\\boxed{possible}", "\\text{not possible}", False),
    ("\\boxed{No solutions}", "\\text{no solution}", True),
    ("\\boxed{\\text{no real solutions}}", "\\text{no solution}", False),
    ("\\boxed{\\text{does not exist}}", "DNE", True),
]


@pytest.mark.parametrize(("response", "reference", "correct"), OTHER_GRADERS)
def test_other_graders_classes_at_their_proper_depth(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{\\text{5 km}}", "5 \\text{ m}", False),
        ("\\boxed{5\\,\\mathrm{km}}", "5\\,\\mathrm{m}", False),
        ("\\boxed{5\\,\\mathrm{km}}", "5000\\,\\mathrm{m}", True),
        ("\\boxed{-40^\\circ F}", "-40^\\circ C", True),
        ("\\boxed{4 \\text{ cm}^3}", "4 \\text{ mL}", True),
        ("\\boxed{6 \\text{ ft}}", "2 \\text{ yards}", True),
    ],
)
def test_unit_spellings(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [("It is not 45", "45", False), ("not 45", "45", False), ("45, not 50", "45", True)],
)
def test_a_chart_value_ruled_out_is_not_the_answer(response, reference, correct):
    assert verify("chart", response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "status", "correct"),
    [
        ("The answer is not Paris.", "no_answer", None),
        ("Not Paris but London", "ok", False),
        ("London, not Paris", "ok", False),
        ("Paris", "ok", True),
    ],
)
def test_an_option_named_after_a_negation_is_not_chosen(response, status, correct):
    verdict = verify("choice", response, "A", options=["Paris", "London"])
    assert verdict.status == status
    assert verdict.correct is correct


def _adversarial():
    path = Path(__file__).parents[2] / "bench" / "adversarial.py"
    spec = importlib.util.spec_from_file_location("adversarial_bench", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ADVERSARIAL = _adversarial()


@pytest.mark.parametrize("family", ADVERSARIAL.FAMILIES, ids=lambda f: f.name)
def test_every_class_of_the_adversarial_benchmark(family):
    rng = random.Random(f"test:{family.name}")
    for _ in range(3):
        miss, rewrite = family.draw(rng)
        for (response, reference), correct in ((miss, False), (rewrite, True)):
            verdict = VERIFIERS[family.verifier](response, reference, **family.params)
            if isinstance(verdict, Deferred):
                verdict = verdict.run_inline()
            assert (verdict.correct is True) is correct, (response, reference, verdict.reason)


@pytest.mark.parametrize(
    ("verifier", "response", "reference", "correct"),
    [
        ("math", "The answer is 5. Wait, actually it's 6.", "5", False),
        ("math", "The answer is 5. Wait, actually it's 6.", "6", True),
        ("math", "$\\boxed{5}$. No wait, 6.", "5", False),
        ("math", "$\\boxed{5}$. Actually, let me double-check: 2+3 = 5.", "5", True),
        ("chart", "Answer: 45. Actually, 50.", "45", False),
        ("chart", "Yes. Actually, no.", "yes", False),
        ("chart", "No wait, yes.", "yes", True),
        ("chart", "Yes, but only slightly.", "yes", True),
        ("choice", "The answer is (A). Wait, actually (C).", "A", False),
        ("choice", "The answer is (A). Wait, actually (C).", "C", True),
        ("choice", "Neither A nor B.", "A", False),
        ("math", "\\boxed{5 \\text{ meters long}}", "5 \\text{ m}", True),
    ],
)
def test_a_correction_that_ends_the_response_is_the_answer(verifier, response, reference, correct):
    assert (verify(verifier, response, reference).correct is True) is correct


@pytest.mark.parametrize(
    ("response", "reference"),
    [
        ("B is correct; A is not", "B"),
        ("A is not correct. B is not correct. C is correct.", "C"),
        ("I think it's B, not A", "B"),
        ("A. No other option fits.", "A"),
        ("Not sure, but I think B", "B"),
        ("The correct choice is B because A is wrong", "B"),
    ],
)
def test_ruling_out_other_letters_keeps_the_chosen_one(response, reference):
    assert verify("choice", response, reference).correct is True


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("45 kg", "45 %", False),
        ("12 degrees", "12 radians", False),
        ("20°C", "68°F", True),
        ("45 minutes", "0.75 hours", True),
        ("¥500", "$500", False),
    ],
)
def test_chart_angles_temperatures_and_percent_against_units(response, reference, correct):
    assert verify("chart", response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{1 \\text{ hour } 30 \\text{ minutes}}", "90 \\text{ minutes}", True),
        ("\\boxed{1 \\text{ hour } 20 \\text{ minutes}}", "90 \\text{ minutes}", False),
        ("\\boxed{1.5 \\text{ hours}}", "1 \\text{ hour } 30 \\text{ minutes}", True),
        ("\\boxed{5 ft 3 in}", "63 inches", True),
        ("\\boxed{2\\text{ h}\\ 30\\text{ min}}", "150 \\text{ min}", True),
    ],
)
def test_compound_quantities_add_up_in_the_last_unit(response, reference, correct):
    assert judge(response, reference).correct is correct


def test_evaluated_judges_the_answer_as_written_before_unit_conversion():
    assert judge("\\boxed{500 \\text{ cm}}", "5 \\text{ m}", evaluated=True).correct is True
    assert judge("\\boxed{5 \\text{ m}}", "5", evaluated=True).correct is True
    verdict = judge("\\boxed{2+3 \\text{ m}}", "5 \\text{ m}", evaluated=True)
    assert verdict.reason == "not_evaluated"


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{\\sqrt{(x-3)(x+3)}}", "\\sqrt{x^2-9}", True),
        ("\\boxed{\\sqrt{(x-3)(x+4)}}", "\\sqrt{x^2-9}", False),
        ("\\boxed{2\\ln x}", "\\ln x^2", True),
    ],
)
def test_expressions_real_almost_nowhere_compare_as_complex_functions(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{\\emptyset}", "\\text{no solutions}", True),
        ("\\boxed{\\text{no solution}}", "\\emptyset", True),
        ("\\boxed{\\{1\\}}", "\\text{no solution}", False),
        ("\\boxed{\\emptyset}", "\\text{all real numbers}", False),
    ],
)
def test_the_empty_set_is_no_solution(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{e^{-200}}", "0", False),
        ("\\boxed{0}", "e^{-300}", False),
        ("\\boxed{\\sin(\\pi)}", "0", True),
        ("\\boxed{\\sin(2\\pi) + \\cos(\\pi/2)}", "0", True),
    ],
)
def test_a_tiny_value_is_not_zero_but_rounding_noise_is(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("\\boxed{1.2 \\text{ million}}", "1200000", True),
        ("\\boxed{1.2 \\text{ billion}}", "1200000", False),
        ("\\boxed{3 \\text{ thousand dollars}}", "\\$3000", True),
        ("\\boxed{3 \\text{ thousand euros}}", "\\$3000", False),
    ],
)
def test_scale_words_multiply_and_keep_the_unit_after_them(response, reference, correct):
    assert judge(response, reference).correct is correct


@pytest.mark.parametrize(
    ("response", "reference"), [("More than USD 45", "45"), ("at least Rs. 200", "200")]
)
def test_a_bound_written_with_a_currency_code_is_no_value(response, reference):
    assert verify("chart", response, reference).correct is False
