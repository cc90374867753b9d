"""The issue's acceptance figures, on a fresh synthetic sample scored through the bundled detector.

`mmreward grounding evaluate --scenes 500` prints the same figures on a larger sample.
"""

import pytest

from mmreward.grounding.evaluate import evaluate
from mmreward.grounding.scorer import GroundingScorer
from mmreward.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def figures():
    scorer = GroundingScorer(Settings())
    try:
        yield evaluate(scorer, n_scenes=60, seed=31337)  # neither a training nor a bench seed
    finally:
        scorer.close()


def test_truthful_captions_score_high(figures):
    assert figures["truthful_mean_reward"] >= 0.9


def test_one_hallucinated_or_miscounted_shape_costs_reward(figures):
    assert figures["flawed_below_1"] >= 0.9
    assert figures["hallucinated_below_1"] >= 0.9


def test_count_answers(figures):
    assert figures["count_accuracy"] >= 0.95


def test_boxes(figures):
    assert figures["box_correct_iou_ge_0.7"] >= 0.9
    assert figures["box_correct_mean_iou"] >= 0.7
    assert figures["box_wrong_max_iou"] <= 0.2
