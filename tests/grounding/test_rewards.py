import pytest

from mmreward.grounding.reference import BadReferenceError, reference_count, reference_objects
from mmreward.grounding.rewards import (
    Observed,
    count_reward,
    grounding_reward,
    hallucination_reward,
    iou,
    matched_iou,
    rescale_box,
)
from mmreward.grounding.vocab import ANY_OBJECT, COCO_CLASSES, shapes_vocabulary, vocabulary_for

SHAPES = shapes_vocabulary()
SCENE = [
    Observed("circle", (10, 10, 50, 50), "red"),
    Observed("circle", (100, 10, 140, 50), "blue"),
    Observed("square", (10, 100, 60, 150), "green"),
]


def test_iou_by_hand():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    # 5x10 overlap over 150 union.
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert iou((10, 10, 0, 0), (0, 0, 10, 10)) == 0.0  # degenerate (reversed) box


def test_matched_iou_is_visual_rft_form():
    gt = [(0, 0, 10, 10), (20, 0, 30, 10)]
    # One perfect box of two targets: 1 / max(1, 2).
    assert matched_iou([(0, 0, 10, 10)], gt)[0] == pytest.approx(0.5)
    # Both found, one extra wrong box: (1 + 1) / 3.
    both = [(0, 0, 10, 10), (20, 0, 30, 10), (50, 50, 60, 60)]
    assert matched_iou(both, gt)[0] == pytest.approx(2 / 3)
    # A box overlapping at IoU 1/3 does not match (threshold 0.5).
    assert matched_iou([(5, 0, 15, 10)], [(0, 0, 10, 10)]) == (0.0, [])
    # Greedy one-to-one: two boxes on the same target count once.
    assert matched_iou([(0, 0, 10, 10), (0, 0, 10, 10)], [(0, 0, 10, 10)])[0] == 0.5


def test_rescale_box_formats():
    size = (200, 100)
    assert rescale_box((0.1, 0.2, 0.5, 1.0), size, "normalized") == (20, 20, 100, 100)
    assert rescale_box((100, 200, 500, 1000), size, "normalized_1000") == (20, 20, 100, 100)
    # VLM-R1: the model saw a 400x200 resize of the 200x100 image.
    assert rescale_box((40, 40, 200, 200), size, "pixel", (400, 200)) == (20, 20, 100, 100)
    assert rescale_box((-5, 0, 500, 50), size, "pixel") == (0, 0, 200, 50)


def test_hallucination_reward_is_fraction_of_confirmed_claims():
    verdict = hallucination_reward(
        "There are two circles, a square and a triangle.", SCENE, SHAPES, source="test"
    )
    assert verdict.reward == pytest.approx(2 / 3)
    assert verdict.correct is False
    assert verdict.details["hallucinated"] == ["triangle"]
    # Mentioned classes: circle, square, triangle; one of them is not in the image.
    assert verdict.details["chair_i"] == pytest.approx(1 / 3)
    assert verdict.details["chair_s"] == 1.0


def test_truthful_caption_scores_one_with_colours():
    verdict = hallucination_reward(
        "A red circle, a blue circle and a green square; no triangles.", SCENE, SHAPES, source="t"
    )
    assert verdict.reward == 1.0
    assert verdict.correct is True
    assert verdict.details["chair_i"] == 0.0


def test_wrong_colour_and_miscount_are_caught():
    wrong_colour = hallucination_reward("a yellow circle", SCENE, SHAPES, source="t")
    assert wrong_colour.reward == 0.0
    miscount = hallucination_reward("three circles and one square", SCENE, SHAPES, source="t")
    assert miscount.reward == 0.5


def test_caption_without_mentions_is_no_answer():
    verdict = hallucination_reward("A nice picture.", SCENE, SHAPES, source="t")
    assert verdict.status == "no_answer"
    assert verdict.reward == 0.0


def test_count_reward():
    ok = count_reward("<answer>2</answer>", "How many circles?", SCENE, SHAPES, source="t")
    assert (ok.reward, ok.details["expected"]) == (1.0, 2)
    coloured = count_reward("1", "How many blue circles?", SCENE, SHAPES, source="t")
    assert coloured.reward == 1.0
    wrong = count_reward("three", "How many circles?", SCENE, SHAPES, source="t")
    assert (wrong.reward, wrong.details["answered"]) == (0.0, 3)
    everything = count_reward("3", "How many shapes are there?", SCENE, SHAPES, source="t")
    assert everything.reward == 1.0
    given = count_reward("5", "How many circles?", [], SHAPES, expected=5, source="reference")
    assert given.reward == 1.0
    assert count_reward("no idea", "How many?", SCENE, SHAPES, source="t").status == "no_answer"


def test_grounding_reward_best_box_of_the_named_class():
    kwargs = {"image_size": (256, 256), "source": "t"}
    right = grounding_reward("[12, 10, 50, 50]", "Where is the circle?", SCENE, SHAPES, **kwargs)
    assert right.reward == pytest.approx(iou((12, 10, 50, 50), (10, 10, 50, 50)))
    assert right.details["mode"] == "best"
    blue = grounding_reward("[10, 10, 50, 50]", "the blue circle", SCENE, SHAPES, **kwargs)
    assert blue.reward == 0.0  # the box is on the red circle
    wrong = grounding_reward("[10, 100, 60, 150]", "Find the circle", SCENE, SHAPES, **kwargs)
    assert wrong.reward == 0.0  # the box is on the square
    none = grounding_reward("no box", "Find the circle", SCENE, SHAPES, **kwargs)
    assert none.status == "no_answer"


def test_grounding_reward_several_boxes_uses_matched_iou():
    response = "<answer>[10, 10, 50, 50], [100, 10, 140, 50]</answer>"
    verdict = grounding_reward(
        response, "Find all circles", SCENE, SHAPES, image_size=(256, 256), source="t"
    )
    assert verdict.details["mode"] == "matched"
    assert verdict.reward == pytest.approx(1.0)
    normalised = "[0.0390625, 0.0390625, 0.1953125, 0.1953125]"
    verdict = grounding_reward(
        normalised,
        "Where is the red circle?",
        SCENE,
        SHAPES,
        image_size=(256, 256),
        box_format="normalized",
        source="t",
    )
    assert verdict.reward == pytest.approx(1.0)


def test_reference_shapes():
    coco = vocabulary_for(COCO_CLASSES)
    assert [o.cls for o in reference_objects({"people": 2, "dog": 1}, coco)] == [
        "person",
        "person",
        "dog",
    ]
    assert reference_objects([1, 2, 3, 4], coco) == [Observed(ANY_OBJECT, (1, 2, 3, 4))]
    objects = reference_objects([{"label": "circle", "box": [0, 0, 5, 5], "colour": "red"}], SHAPES)
    assert objects == [Observed("circle", (0, 0, 5, 5), "red")]
    assert reference_objects([], SHAPES) == []
    assert reference_objects(None, SHAPES) is None
    assert reference_count(3) == 3
    assert reference_count(True) is None
    for bad in (
        {"unicorn": 1},
        [[5, 5, 1, 1]],
        {"circle": -1},
        "circle",
        [{"label": "circle", "x": 1}],
    ):
        with pytest.raises(BadReferenceError):
            reference_objects(bad, SHAPES)


def test_box_matching_is_bounded_per_item():
    """64 answered boxes against 1,000 reference circles: refused for that item, not 64,000
    IoUs; 64 against 64 is matched as usual."""
    from mmreward.grounding.rewards import MAX_MATCH_PAIRS

    answer = ", ".join(f"[{i}, {i}, {i + 10}, {i + 10}]" for i in range(64))
    many = [Observed("circle", (j, j, j + 10, j + 10), None) for j in range(1000)]
    refused = grounding_reward(
        answer, "the circles", many, SHAPES, image_size=(2048, 2048), source="t"
    )
    assert refused.status == "error"
    assert f"at most {MAX_MATCH_PAIRS} pairs" in refused.reason
    fits = grounding_reward(
        answer, "the circles", many[:64], SHAPES, image_size=(2048, 2048), source="t"
    )
    assert fits.status == "ok"
    assert fits.reward == pytest.approx(1.0)
