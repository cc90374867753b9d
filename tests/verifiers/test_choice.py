import pytest
from answer_suite import CHOICE, CITIES

from mmreward.errors import InvalidInputError
from mmreward.verifiers import verify
from mmreward.verifiers.choice import option_texts, verify_choice


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CHOICE])
def test_labelled_choice_cases(case):
    verdict = verify("choice", case.response, case.reference, options=case.options)
    assert (verdict.reward == 1.0) is case.correct, verdict


def test_hedging_is_judged_wrong_and_names_the_letters():
    verdict = verify("choice", r"\boxed{A} or rather \boxed{B}", "B", options=CITIES)
    assert verdict.status == "ok"
    assert verdict.correct is False
    assert verdict.reason == "hedged between A, B"


def test_boxes_that_agree_are_not_hedging():
    verdict = verify("choice", r"\boxed{B}, i.e. \boxed{London}", "B", options=CITIES)
    assert verdict.reward == 1.0


def test_a_box_naming_no_choice_leaves_no_answer():
    verdict = verify("choice", r"so (A) is wrong and \boxed{42}", "A", options=CITIES)
    assert verdict.status == "no_answer"


def test_article_is_not_a_letter():
    verdict = verify("choice", "A triangle has three sides.", "A", options=["x", "y"])
    assert verdict.status == "no_answer"


def test_reference_that_is_no_option_is_unparsable():
    verdict = verify("choice", "A", "Madrid", options=CITIES)
    assert verdict.status == "unparsable_reference"


def test_letter_reference_beyond_the_options_is_unparsable():
    assert verify("choice", "F", "F", options=CITIES).status == "unparsable_reference"


def test_without_options_letters_still_work():
    assert verify("choice", "The answer is (C).", "C").reward == 1.0
    assert verify("choice", "Berlin", "Berlin").status == "unparsable_reference"


def test_details_say_where_the_answer_was_found():
    verdict = verify("choice", "<think>A?</think><answer>C</answer>", "C", options=CITIES)
    assert verdict.details["where"] == "answer_tag"
    assert verdict.details["how"] == "letter"
    assert verdict.extracted == "C"


def test_option_labels_matching_their_position_are_stripped():
    assert option_texts(["A. 12", "(B) 15", "C) 18", "x. 21"]) == ["12", "15", "18", "x. 21"]


def test_too_many_or_no_options_and_unknown_settings_are_input_errors():
    with pytest.raises(InvalidInputError):
        verify_choice("A", "A", options=[])
    with pytest.raises(InvalidInputError):
        verify_choice("A", "A", options=[str(i) for i in range(27)])
    with pytest.raises(InvalidInputError):
        verify_choice("A", "A", options=CITIES, strict=True)


def test_options_as_a_mapping_need_the_letters_in_order():
    assert verify("choice", "London", "B", options={"A": "Paris", "B": "London"}).reward == 1.0
    with pytest.raises(InvalidInputError):
        verify_choice("A", "A", options={"A": "Paris", "C": "London"})


def test_an_integer_reference_is_an_index_before_it_is_an_option_text():
    digits = ["1", "2", "3"]
    assert verify("choice", "B", 1, options=digits).reward == 1.0
    assert verify("choice", "1", 1, options=digits).reward == 0.0
    assert verify("choice", "2", "1", options=digits).reward == 0.0
