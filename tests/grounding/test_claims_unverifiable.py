"""Claims a detector cannot check earn nothing by default, and count questions naming several
classes count them all."""

import pytest

from mmreward.grounding.claims import question_classes, unverifiable_claims
from mmreward.grounding.rewards import Observed, count_reward, hallucination_reward
from mmreward.grounding.vocab import COCO_CLASSES, shapes_vocabulary, vocabulary_for

SHAPES = shapes_vocabulary()
COCO = vocabulary_for(COCO_CLASSES)
SCENE = [
    Observed("circle", (0, 0, 10, 10), "red"),
    Observed("square", (20, 20, 30, 30), "blue"),
    Observed("triangle", (40, 40, 50, 50), "green"),
]


@pytest.mark.parametrize(
    ("response", "unverifiable", "reward"),
    [
        ("I see a circle, a square, a triangle and a dog.", ["dog"], 0.75),
        ("A purple hexagon.", ["hexagon"], 0.0),
        ("Two green zorbs and a circle.", ["zorb"], 0.5),
        ("A circle, a square and a triangle.", [], 1.0),
        ("A red circle on a white background.", [], 1.0),
    ],
)
def test_unverifiable_claims_are_listed_and_earn_nothing(response, unverifiable, reward):
    verdict = hallucination_reward(response, SCENE, SHAPES, source="test")
    assert verdict.details["unverifiable"] == unverifiable
    assert verdict.reward == pytest.approx(reward)
    verdicts = [c["verdict"] for c in verdict.details["claims"]]
    assert verdicts.count("unverifiable") == len(unverifiable)
    assert verdict.correct is (reward == 1.0)


def test_the_ignore_policy_leaves_them_out_of_the_reward_but_reports_them():
    padded = "I see a circle, a square, a triangle and a dog."
    verdict = hallucination_reward(padded, SCENE, SHAPES, source="test", unverifiable="ignore")
    assert verdict.reward == 1.0
    assert verdict.details["unverifiable"] == ["dog"]
    only = hallucination_reward(
        "A purple hexagon.", SCENE, SHAPES, source="t", unverifiable="ignore"
    )
    assert only.status == "no_answer"
    assert only.details["unverifiable"] == ["hexagon"]


def test_chair_stays_over_the_detector_classes():
    verdict = hallucination_reward("A circle, a triangle and a dog.", SCENE[:1], SHAPES, source="t")
    assert verdict.details["hallucinated"] == ["triangle"]
    assert verdict.details["chair_i"] == 0.5


def test_a_coco_detector_knows_dogs_but_not_hexagons():
    assert [c.cls for c in unverifiable_claims("a dog and a hexagon", COCO)] == ["hexagon"]
    assert [c.cls for c in unverifiable_claims("a dog and a hexagon", SHAPES)] == [
        "dog",
        "hexagon",
    ]


def test_an_absent_unknown_object_is_still_unverifiable():
    claims = unverifiable_claims("There are no dogs.", SHAPES)
    assert [c.describe() for c in claims] == ["dog == 0"]


@pytest.mark.parametrize(
    ("answer", "reward"),
    [("2", 1.0), ("1 circle and 1 square", 1.0), ("1", 0.0), ("There is one circle.", 0.0)],
)
def test_a_count_question_naming_two_classes_counts_both(answer, reward):
    question = "How many circles or squares are there?"
    assert question_classes(question, SHAPES) == ["circle", "square"]
    assert count_reward(answer, question, SCENE, SHAPES, source="t").reward == reward


@pytest.mark.parametrize(
    ("text", "vocab", "claims"),
    [
        ("a square table and two chairs", COCO, []),
        ("a dog bed", SHAPES, ["bed >= 1"]),
        ("no sign of a triangle", SHAPES, []),
        ("The bounding box is [1, 2, 3, 4] around the circle", SHAPES, []),
    ],
)
def test_everyday_words_and_noun_pairs_are_not_padded_claims(text, vocab, claims):
    assert [c.describe() for c in unverifiable_claims(text, vocab)] == claims
