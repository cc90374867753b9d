"""Box coordinates all within [0, 1] are read as normalised unless the item says otherwise."""

import pytest

from mmreward.grounding.items import GroundingParams
from mmreward.grounding.rewards import Observed, grounding_reward, resolve_box_format
from mmreward.grounding.vocab import shapes_vocabulary

SHAPES = shapes_vocabulary()
SQUARE = [Observed("square", (40.96, 158.72, 87.04, 225.28), "green")]  # on a 256x256 image
NORMALISED = "<answer>[0.16, 0.62, 0.34, 0.88]</answer>"


def _score(response: str, **kwargs):
    return grounding_reward(
        response, "Where is the square?", SQUARE, SHAPES, image_size=(256, 256), source="t",
        **kwargs,
    )  # fmt: skip


def test_unit_boxes_are_normalised_by_default():
    assert GroundingParams().box_format == "auto"
    verdict = _score(NORMALISED)
    assert verdict.reward == pytest.approx(1.0, abs=0.01)
    assert verdict.details["box_format"] == "normalized"


def test_the_item_can_insist_on_pixels():
    verdict = _score(NORMALISED, box_format="pixel")
    assert verdict.reward == 0.0
    assert verdict.details["box_format"] == "pixel"


def test_pixel_boxes_stay_pixels():
    verdict = _score("<answer>[41, 159, 87, 225]</answer>")
    assert verdict.reward == pytest.approx(1.0, abs=0.02)
    assert verdict.details["box_format"] == "pixel"


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([(0.1, 0.2, 0.3, 0.4)], "normalized"),
        ([(0.0, 0.0, 1.0, 1.0), (0.5, 0.5, 0.9, 0.9)], "normalized"),
        ([(0.1, 0.2, 0.3, 0.4), (10, 20, 30, 40)], "pixel"),  # one box out of range: all pixels
        ([(0.1, 0.2, 1.5, 0.4)], "pixel"),
    ],
)
def test_auto_reads_all_boxes_of_an_answer_together(boxes, expected):
    assert resolve_box_format(boxes, "auto") == expected
    assert resolve_box_format(boxes, "normalized_1000") == "normalized_1000"
