"""The `grounding` recipe component: a grounded reward as one weighted term of a recipe.

Recipe items carry the image and question in `image` and `question`; ground truth for this
component goes in `grounding_reference`, since `reference` belongs to `accuracy`. An item
without an image scores 0 with the reason; the rest of the batch is scored. An item's
`grounding_task` replaces the recipe's task for that item, so one dataset can mix count
questions and descriptions under one recipe.
"""

from __future__ import annotations

from collections.abc import Sequence

from mmreward.components import ComponentKind, ComponentScore, Scoring
from mmreward.errors import InvalidInputError
from mmreward.grounding.items import GroundingItem, GroundingParams, GroundingTask
from mmreward.items import RewardItem
from mmreward.split import Split


class GroundingComponentParams(GroundingParams):
    task: GroundingTask = "hallucination"


def grounding_item(
    item: RewardItem, task: GroundingTask, settings: GroundingParams
) -> GroundingItem:
    if item.image is None:
        raise InvalidInputError("the grounding component needs `image` (base64 PNG/JPEG)")
    return GroundingItem(
        image=item.image,
        response=item.response,
        question=item.question,
        task=task,
        reference=item.grounding_reference,
        params=settings,
    )


async def _grounding(
    scoring: Scoring, items: Sequence[RewardItem], params: GroundingComponentParams
) -> list[ComponentScore]:
    async def score(batch: list[GroundingItem]) -> list[ComponentScore]:
        return [ComponentScore.of_verdict(v) for v in await scoring.agrounding_score(batch)]

    settings = GroundingParams.model_validate(params.model_dump(exclude={"task"}))
    split = Split.made(
        items, lambda item: grounding_item(item, item.grounding_task or params.task, settings)
    )
    return await split.ascore(score, ComponentScore.failed)


GROUNDING_KIND = ComponentKind(score=_grounding, params=GroundingComponentParams)
