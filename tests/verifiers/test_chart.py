import pytest
from answer_suite import CHART

from mmreward.errors import InvalidInputError
from mmreward.verifiers import verify
from mmreward.verifiers.chart import verify_chart
from mmreward.verifiers.quantity import AMBIGUOUS, Quantity, parse_quantity


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CHART if c.verifier == "chart"])
def test_labelled_chart_cases(case):
    verdict = verify("chart", case.response, case.reference, options=case.options)
    assert (verdict.reward == 1.0) is case.correct, verdict


def test_a_long_unmarked_response_is_no_answer_not_a_guess():
    response = "The chart shows " + "several bars of different heights, " * 5 + "and 45 is one."
    verdict = verify("chart", response, "45")
    assert verdict.status == "no_answer"
    assert verdict.reward == 0.0
    assert verdict.correct is None


def test_several_numbers_are_no_answer_and_say_what_was_read():
    verdict = verify("chart", "It rose from 30 to 45", "45")
    assert verdict.status == "no_answer"
    assert verdict.extracted == "It rose from 30 to 45"
    assert "several numbers" in verdict.reason


def test_the_one_year_is_the_answer_when_the_reference_is_a_year():
    # A year reference asks "which year": the one year named is the answer, the rest context.
    assert verify("chart", "In 2015 it was 45", "2015").reward == 1.0
    assert verify("chart", "In 2015 it was 45", "2016").reward == 0.0
    assert verify("chart", "In 2015 it was 45", "45").reward == 1.0
    assert verify("chart", "2014 or 2015", "2015").status == "no_answer"


def test_a_bound_is_not_the_value():
    assert verify("chart", "more than 45", "45").reward == 0.0
    assert verify("chart", "at least 45%", "45").reward == 0.0
    assert verify("chart", "over 1.2 million", "1.2").reward == 0.0
    assert verify("chart", "more than 45", "more than 45").reward == 1.0


@pytest.mark.parametrize("reference", [None, "", "  ", [], [["a"]], True, float("nan")])
def test_unusable_references_are_reported_as_such(reference):
    verdict = verify("chart", "45", reference)
    assert verdict.status == "unparsable_reference"
    assert verdict.reward == 0.0


def test_tolerance_is_a_setting():
    assert verify("chart", "44", "45", tolerance=0.01).reward == 0.0
    assert verify("chart", "41", "45", tolerance=0.1).reward == 1.0
    assert verify("chart", "45", "45", tolerance=0).reward == 1.0


def test_years_stay_exact_whatever_the_tolerance():
    assert verify("chart", "2014", "2015", tolerance=0.5).reward == 0.0


@pytest.mark.parametrize("params", [{"tolerance": 1.5}, {"tolerance": -0.1}, {"tolerance": "x"}])
def test_bad_tolerance_is_an_input_error(params):
    with pytest.raises(InvalidInputError):
        verify_chart("45", "45", **params)


def test_unknown_settings_are_an_input_error():
    with pytest.raises(InvalidInputError, match="tolerence"):
        verify_chart("45", "45", tolerence=0.1)


def test_options_delegate_to_choice():
    verdict = verify("chart", "(B)", "B", options=["1", "2", "3"])
    assert verdict.reward == 1.0
    assert verdict.details["delegated_to"] == "choice"


def test_lists_keep_thousands_separators_and_need_every_item():
    assert verify("chart", "1,200, 3,400 and 5", "[1200, 3400, 5]").reward == 1.0
    assert verify("chart", "1,200, 3,400", "[1200, 3400, 5]").reward == 0.0


def test_a_huge_response_is_bounded():
    verdict = verify("chart", "1," * 200_000, "1")
    assert verdict.status in {"ok", "no_answer"}
    assert verdict.reward == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1.2M", Quantity(1.2, 1e6, percent=False, integer=False)),
        ("-€3,400", Quantity(-3400.0)),
        ("$-5", Quantity(-5.0)),
        ("45 %", Quantity(45.0, percent=True)),
        ("2.5 bn tonnes", Quantity(2.5, 1e9, integer=False)),
        ("12 Millions", Quantity(12.0, 1e6)),
        ("5 m", Quantity(5.0)),
        ("5 Mbps", Quantity(5.0)),
    ],
)
def test_quantities_keep_scale_percent_and_sign(text, expected):
    assert parse_quantity(text, strict=True) == expected


def test_a_hyphen_inside_a_word_is_not_a_minus():
    assert parse_quantity("COVID-19", strict=False) == Quantity(19.0)


def test_strict_parsing_keeps_labels_with_numbers_as_text():
    assert parse_quantity("Group 5", strict=True) is None
    assert parse_quantity("Group 5", strict=False) == Quantity(5.0)
    assert parse_quantity("1,23", strict=False) is AMBIGUOUS


def test_many_ands_in_a_list_answer_all_separate():
    names = [f"n{i}" for i in range(10)]
    assert verify("chart", " and ".join(reversed(names)), names).reward == 1.0
    assert verify("chart", "Trinidad and Tobago, Chad", ["Chad", "Trinidad and Tobago"]).correct


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("The U.S.", "United States", True),
        ("Answer: United Kingdom", "UK", True),
        ("Britain", "U.K.", True),
        ("Czechia", "Czech Republic", True),
        ("Holland", "the Netherlands", True),
        ("UK", "United States", False),
        ("North Korea", "South Korea", False),
        ("DPRK", "Republic of Korea", False),
        ("America", "United States", False),
        ("Korea", "South Korea", False),
        ("England", "United Kingdom", False),
        ("DC", "Washington, D.C.", False),
    ],
)
def test_builtin_aliases_name_one_entity(response, reference, correct):
    verdict = verify("chart", response, reference)
    assert verdict.correct is correct, verdict


def test_alias_items_in_a_list_answer():
    verdict = verify("chart", "USA and UAE", '["United Arab Emirates", "United States"]')
    assert verdict.correct is True
    verdict = verify("chart", "USA and UK", '["United Arab Emirates", "United States"]')
    assert verdict.correct is False


@pytest.mark.parametrize(
    "aliases",
    [[["Deutschland", "Germany"]], {"Germany": ["Deutschland", "BRD"]}],
    ids=["groups", "mapping"],
)
def test_the_aliases_param_extends_the_table(aliases):
    assert verify("chart", "Deutschland", "Germany").correct is False
    verdict = verify("chart", "Deutschland", "Germany", aliases=aliases)
    assert (verdict.correct, verdict.reason) == (True, "alias")


def test_an_added_group_sharing_a_name_joins_the_builtin_one():
    verdict = verify("chart", "Amerika", "United States", aliases=[["USA", "Amerika"]])
    assert verdict.correct is True


@pytest.mark.parametrize(
    "aliases",
    ["USA", [["USA", 3]], [["x" * 300]], [["a"]] * 1001, [list("ab") * 30]],
    ids=["string", "not_text", "long_name", "many_groups", "big_group"],
)
def test_a_malformed_alias_table_is_a_clear_error(aliases):
    with pytest.raises(InvalidInputError, match="alias"):
        verify("chart", "USA", "United States", aliases=aliases)


def test_the_builtin_table_has_no_name_in_two_groups():
    from mmreward.verifiers.aliases import builtin_groups, key

    keys = [{key(name) for name in group} for group in builtin_groups()]
    assert sum(len(k) for k in keys) == len(set().union(*keys)) > 60


@pytest.mark.slow
def test_a_recipe_carries_its_own_alias_table(tmp_path):
    """A deployment's recipe extends the table for every item it scores, through the engine."""
    from mmreward.engine import Engine
    from mmreward.items import RewardItem
    from mmreward.settings import Settings

    (tmp_path / "chart_de.yaml").write_text(
        "name: chart_de\ncomponents:\n  - kind: accuracy\n    weight: 1.0\n"
        "    params: {verifier: chart, aliases: {Germany: [Deutschland, BRD]}}\n"
    )
    engine = Engine(Settings(sandbox_workers=1, recipes_dir=tmp_path, cache_size=0))
    try:
        items = [
            RewardItem(response="Deutschland", reference="Germany"),
            RewardItem(response="Österreich", reference="Germany"),
        ]
        assert [r.reward for r in engine.reward("chart_de", items)] == [1.0, 0.0]
        assert [r.reward for r in engine.reward("chart", items)] == [0.0, 0.0]
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("response", "reference", "correct"),
    [
        ("9:30", "9:30", True),
        ("The shop opens at 9:30.", "9:30", True),
        ("3:10", "9:30", False),
        ("3:15 pm", "3:15 am", False),
        ("3:15 PM", "3:15 p.m.", True),
        ("15:15", "3:15 pm", True),
        ("3:15", "3:15 pm", False),
        ("10:31", "10:30", False),
        ("1:2", "2:4", True),
    ],
)
def test_a_clock_time_is_a_time_not_a_ratio(response, reference, correct):
    """`3:10` and `9:30` are both 0.33 as ratios; as times they are different answers."""
    assert verify("chart", response, reference).correct is correct


def test_two_times_in_an_answer_are_no_answer():
    assert verify("chart", "from 9:30 to 10:30", "10:30").status == "no_answer"
