"""The `grounding` recipe component: a grounded reward as one weighted term of a recipe.

Recipe items carry the image and question as extra fields (`image`, `question`); ground truth
for this component goes in `grounding_reference`, since `reference` belongs to `accuracy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from mmreward.components import ComponentKind, ComponentScore
from mmreward.errors import InvalidInputError
from mmreward.grounding.items import GroundingItem, GroundingParams, GroundingTask
from mmreward.items import RewardItem

if TYPE_CHECKING:
    from mmreward.engine import Engine


class GroundingComponentParams(GroundingParams):
    task: GroundingTask = "hallucination"


async def _grounding(
    engine: Engine, items: Sequence[RewardItem], params: GroundingComponentParams
) -> list[ComponentScore]:
    settings = GroundingParams.model_validate(params.model_dump(exclude={"task"}))
    batch = []
    for i, item in enumerate(items):
        extra = item.model_extra or {}
        try:
            batch.append(
                GroundingItem(
                    image=extra.get("image"),
                    response=item.response,
                    question=extra.get("question"),
                    task=params.task,
                    reference=extra.get("grounding_reference"),
                    params=settings,
                )
            )
        except ValidationError:
            raise InvalidInputError(
                f"items[{i}]: the grounding component needs `image` (base64 PNG/JPEG) "
                "and optionally `question` and `grounding_reference`"
            ) from None
    verdicts = await engine.agrounding_score(batch)
    return [
        ComponentScore(score=verdict.reward, details=verdict.model_dump(exclude={"reward"}))
        for verdict in verdicts
    ]


GROUNDING_KIND = ComponentKind(score=_grounding, params=GroundingComponentParams)
