import pytest

from mmreward.verifiers.extract import clean_answer, extract_final_answer, last_boxed


@pytest.mark.parametrize(
    ("response", "text", "marker"),
    [
        ("so \\boxed{\\frac{1}{2}} holds", "\\frac{1}{2}", "boxed"),
        ("nested \\boxed{\\frac{\\sqrt{2}}{2}}", "\\frac{\\sqrt{2}}{2}", "boxed"),
        ("a set \\boxed{\\{1, 2\\}}", "\\{1, 2\\}", "boxed"),
        ("\\boxed{1} first, then \\boxed{2}", "2", "boxed"),
        ("\\fbox{7}", "7", "fbox"),
        ("$\\boxed{5}$.", "5", "boxed"),
        ("\\boxed 5 is it", "5", "boxed"),
        ("<answer>42</answer>", "42", "answer_tag"),
        ("<think>3</think>\n<answer> The answer is 7. </answer>", "7", "answer_tag"),
        ("The final answer is $x = 5$. I hope it is correct.", "x = 5", "answer_is"),
        ("the answer is 3.5 because the sides match", "3.5", "answer_is"),
        ("Answer: 12", "12", "answer_colon"),
        ("**Answer:**\n\n**42**", "42", "answer_colon"),
        ("**Final Answer**: -3", "-3", "answer_colon"),
        ("48/2 = 24\n#### 72", "72", "gsm8k"),
        ("#### $1,000", "$1,000", "gsm8k"),
        ("The answer is 5.\n#### 6", "6", "gsm8k"),
        ("#### 6\nThe answer is 5.", "5", "answer_is"),
        ("so we get $x = \\frac{1}{2}$.", "x = \\frac{1}{2}", "last_math"),
        ("we get 1,234.5 apples, or -3 pears", "-3", "last_number"),
        ("it is 3/4 of the total", "3/4", "last_number"),
        ("$x$ grows, reaching 12 at the end", "12", "last_number"),
    ],
)
def test_markers(response, text, marker):
    found = extract_final_answer(response)
    assert found is not None
    assert (found.text, found.marker) == (text, marker)
    assert found.marked is (marker not in ("last_math", "last_number"))


def test_span_points_into_the_response():
    response = "We conclude \\boxed{17} here."
    found = extract_final_answer(response)
    assert found is not None
    assert response[found.start : found.end] == "17"


def test_boxed_beats_a_later_answer_phrase():
    found = extract_final_answer("\\boxed{4}. So the answer is 5")
    assert found is not None
    assert found.text == "4"


def test_markdown_heading_is_not_gsm8k():
    found = extract_final_answer("#### Step 2\nso we get 12.5 apples")
    assert found is not None
    assert (found.text, found.marker) == ("12.5", "last_number")


def test_unclosed_last_box_falls_back_to_an_earlier_closed_one():
    found = last_boxed("\\boxed{3} and later \\boxed{4")
    assert found is not None
    assert found.text == "3"


def test_nothing_to_extract():
    assert extract_final_answer("I do not know.") is None
    assert extract_final_answer("") is None


def test_clean_answer_strips_delimiters_and_full_stop():
    assert clean_answer("  **$\\frac{1}{2}$.**  ") == "\\frac{1}{2}"
    assert clean_answer("\\(x+1\\)") == "x+1"
    assert clean_answer("1...") == "1..."


@pytest.mark.parametrize(
    "response",
    [
        "a 1 " * 1_250_000,
        "\\boxed{" * 700_000,
        "{" * 5_000_000,
        "1," * 2_500_000,
        "$" * 5_000_000,
        "answer is " * 500_000,
        "####" * 1_250_000,
        "<answer>" * 600_000 + "</answer>",
        "x" * 5_000_000 + "\\boxed{3}",
    ],
    ids=["numbers", "boxes", "braces", "commas", "dollars", "phrases", "hashes", "tags", "tail"],
)
def test_five_megabyte_responses_come_back(response):
    """Pathological 5 MB inputs finish (a catastrophic regex would not) with a sane result."""
    found = extract_final_answer(response)
    if found is not None:
        assert len(found.text) <= 1000 or found.marker == "answer_tag"
    if response.endswith("\\boxed{3}"):
        assert found is not None
        assert found.text == "3"


def test_a_number_longer_than_any_answer_is_not_cut_into_one():
    assert extract_final_answer("the total is " + "9" * 5000) is None
    found = extract_final_answer("the total is " + "9" * 500)
    assert found is not None
    assert found.text == "9" * 500


def test_a_box_still_open_past_the_limit_is_an_over_long_answer():
    from mmreward.verifiers.extract import MAX_BOXED_CHARS
    from mmreward.verifiers.math import verify_math

    response = "\\boxed{" + "9" * (MAX_BOXED_CHARS * 3) + "}"
    found = extract_final_answer(response)
    assert found is not None
    assert found.marker == "boxed"
    assert len(found.text) >= MAX_BOXED_CHARS - 1
    verdict = verify_math(response, "3")
    assert (verdict.status, verdict.reason) == ("error", "answer_too_long")


@pytest.mark.parametrize(
    ("response", "text"),
    [
        ("$\\boxed{1}\\boxed{2}$", "1, 2"),
        ("\\boxed{x = 1} \\quad \\text{and} \\quad \\boxed{x = 4}", "x = 1, x = 4"),
        ("\\(\\boxed{5}\\) or \\(\\boxed{6}\\)", "5, 6"),
        ("\\boxed{2} apples and \\boxed{3} pears", "2, 3"),
        ("\\boxed{4}, \\boxed{4}", "4"),
        ("\\boxed{1} first, then \\boxed{2}", "2"),
        ("\\boxed{1} hmm, or rather \\boxed{2}", "2"),
        ("\\boxed{1} blah blah blah \\boxed{2}", "2"),
        ("\\boxed{1}" + " and" * 40 + " \\boxed{2}", "2"),
        ("\\boxed{\\boxed{5}}", "5"),
    ],
)
def test_boxes_joined_only_by_connectors_are_one_answer(response, text):
    found = extract_final_answer(response)
    assert found is not None
    assert (found.text, found.marker) == (text, "boxed")


def test_a_final_answer_phrase_after_the_last_box_overrides_it():
    found = extract_final_answer("so \\boxed{12} per day.\nFinal Answer: The final answer is $84$.")
    assert found is not None
    assert (found.text, found.marker) == ("84", "answer_is")
    same = extract_final_answer("so \\boxed{12}.\nFinal Answer: The final answer is $12$.")
    assert same is not None
    assert same.marker == "boxed"


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("The largest $m$ is 21", "21"),
        ("The perimeter of $ABC$ equals $3\\sqrt{2}$", "3\\sqrt{2}"),
        ("She walked 4 miles", "4"),
        ("5 is the answer", "5"),
        ("$x = 2$ is the only solution", "x = 2"),
        ("The direction is east", "east"),
        ("She walked 4 miles in 2 hours", "She walked 4 miles in 2 hours"),
        ("x = 5", "x = 5"),
        ("\\frac{1}{2}", "\\frac{1}{2}"),
    ],
)
def test_sentence_value(sentence, value):
    from mmreward.verifiers.extract import sentence_value

    assert sentence_value(sentence) == value
