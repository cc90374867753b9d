"""Held-out responses (tests/helpers/heldout_claims_cases.py) through claim parser and rewards."""

import pytest
from heldout_claims_cases import BOX_CASES, CLAIM_CASES, COUNT_CASES

from mmreward.grounding.claims import parse_boxes, parse_claims
from mmreward.grounding.rewards import (
    Observed,
    count_reward,
    grounding_reward,
    hallucination_reward,
)
from mmreward.grounding.vocab import COCO_CLASSES, shapes_vocabulary, vocabulary_for

VOCABS = {"shapes": shapes_vocabulary(), "coco": vocabulary_for(COCO_CLASSES)}
SHAPES = VOCABS["shapes"]


@pytest.mark.parametrize("case", CLAIM_CASES, ids=lambda c: c.text[:50])
def test_claims(case):
    got = sorted(c.describe() for c in parse_claims(case.text, VOCABS[case.vocab]))
    accepted = case.expected if isinstance(case.expected, tuple) else (case.expected,)
    assert got in [sorted(e) for e in accepted], case.reason


@pytest.mark.parametrize("case", COUNT_CASES, ids=lambda c: c.response[:50])
def test_count_answers(case):
    verdict = count_reward(case.response, case.question, [], VOCABS[case.vocab], expected=0,
                           source="reference")  # fmt: skip
    answered = verdict.details["answered"] if verdict.status == "ok" else None
    assert answered == case.expected, case.reason


@pytest.mark.parametrize("case", BOX_CASES, ids=lambda c: c.response[:50])
def test_boxes(case):
    assert parse_boxes(case.response) == [tuple(map(float, b)) for b in case.expected], case.reason


SCENE = [
    Observed("circle", (20, 20, 60, 60), "red"),
    Observed("circle", (100, 20, 140, 60), "red"),
    Observed("square", (20, 100, 70, 150), "blue"),
]


@pytest.mark.parametrize(
    ("response", "truthful"),
    [
        ("There are two red circles and a blue square.", True),
        ("I see 2 circles, 1 square and no triangles.", True),
        ("There are no more than two circles.", True),
        ("There are at least two circles.", True),
        ("There are more than two circles.", False),
        ("I don't see any triangles.", True),
        ("I don't see any squares.", False),
        ("The circle is not next to a triangle.", False),  # the negation is about "next to"
        ("Maybe there is a triangle.", False),
        ("One circle and two other shapes.", False),
        ("Two circles and one other shape.", True),
        ("Two circles and no other shapes.", False),
        ("The only shape is a circle.", False),
        ("Are there triangles? No, there are two circles and a square.", True),
        ("The image shows a single circle.", False),
        ("circles: 2, squares: 1", True),
        ("2x circle, 1x triangle", False),
    ],
)
def test_hallucination_against_a_scene(response, truthful):
    verdict = hallucination_reward(response, SCENE, SHAPES, source="reference")
    assert verdict.status == "ok"
    assert (verdict.reward == 1.0) is truthful, verdict.details["claims"]


def test_two_groups_of_one_class_add_up():
    people = [Observed("person")] * 5
    coco = VOCABS["coco"]
    assert hallucination_reward("two men and three women", people, coco, source="r").correct
    assert not hallucination_reward("two men and three women", people[:4], coco, source="r").correct


def _ground(response, box_format="pixel", question="Where is the square?", **kwargs):
    return grounding_reward(response, question, SCENE, SHAPES, image_size=(256, 256),
                            box_format=box_format, source="reference", **kwargs)  # fmt: skip


@pytest.mark.parametrize(
    ("response", "box_format", "expected"),
    [
        ("<answer>[20, 100, 70, 150]</answer>", "pixel", 1.0),
        ("(20,100,70,150)", "pixel", 1.0),
        ('```json\n[{"bbox_2d": [20, 100, 70, 150], "label": "square"}]\n```', "pixel", 1.0),
        ("[0.078125, 0.390625, 0.2734375, 0.5859375]", "normalized", 1.0),
        ("<|box_start|>(78,391),(273,586)<|box_end|>", "normalized_1000", 0.99),
        ("[70, 150, 20, 100]", "pixel", 0.0),  # x2 < x1: malformed, not swapped into a reward
        ("[20, 20, 60, 60]", "pixel", 0.0),  # a circle, not the square
        ("[20, 100, 20, 100]", "pixel", 0.0),  # zero area
    ],
)
def test_grounding_box_formats(response, box_format, expected):
    assert _ground(response, box_format).reward == pytest.approx(expected, abs=0.01)


def test_grounding_rescales_from_the_model_input_size():
    verdict = _ground("[10, 50, 35, 75]", model_input_size=(128, 128))
    assert verdict.reward == pytest.approx(1.0)


def test_grounding_several_boxes_and_duplicates():
    both = _ground("[20, 20, 60, 60], [100, 20, 140, 60]", question="Locate every circle.")
    assert both.reward == pytest.approx(1.0)
    twice = _ground("[20, 20, 60, 60] [20, 20, 60, 60]", question="Locate every circle.")
    assert twice.reward == pytest.approx(0.5)  # Visual-RFT: a duplicate earns nothing


def test_label_names_the_class_when_no_question():
    response = '[{"bbox_2d": [20, 100, 70, 150], "label": "square"}]'
    assert _ground(response, question=None).reward == pytest.approx(1.0)


def test_long_responses_are_bounded():
    text = "There are two red circles and no squares, maybe a triangle. " * 20000
    assert parse_claims(text, SHAPES)
    assert len(parse_boxes("(1, 2), (3, 4) " * 50000)) == 64
