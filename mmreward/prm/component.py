"""The `prm` and `orm` recipe components.

`prm` reads the problem from the item's `prompt` (or `problem`) field and the steps from its
`steps` list, or splits the response into steps (`mmreward.prm.steps`). Its score is the
aggregate; the per-step scores ride along in `details["step_scores"]` for trainers that want
step-level advantages. `orm` reads `prompt` and `response`; its score is the sigmoid reward, or
the raw logit. A completion either model cannot score (empty, or longer than its window) scores
0 with the reason in ``details["error"]``, and the rest of the batch is scored as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mmreward.components import ComponentKind, ComponentScore, Scoring
from mmreward.items import RewardItem
from mmreward.prm.items import ORMItem, ORMResult, PRMItem, PRMResult
from mmreward.prm.scorer import Aggregate
from mmreward.prm.steps import STEP_SEPARATOR, split_steps


class PRMParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aggregate: Aggregate = "min"
    threshold: float = Field(0.5, ge=0, le=1)
    step_separator: str = Field(
        STEP_SEPARATOR, min_length=1, description="splits responses into steps"
    )


class ORMParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    output: Literal["reward", "raw"] = "reward"


def prm_item(item: RewardItem, separator: str = STEP_SEPARATOR) -> PRMItem:
    """The problem and steps of a recipe item; an empty response gives an item with no steps."""
    steps = item.steps if item.steps is not None else split_steps(item.response, separator)
    problem = item.prompt if item.prompt is not None else item.problem
    return PRMItem(problem=problem or "", steps=steps)


def _prm_score(result: PRMResult) -> ComponentScore:
    if result.error is not None:
        return ComponentScore.failed(result.error)
    details = {
        "step_scores": result.step_scores,
        "first_error": result.first_error,
        "truncated": result.truncated,
    }
    return ComponentScore(score=result.score, details=details)


async def _prm(
    scoring: Scoring, items: Sequence[RewardItem], params: PRMParams
) -> list[ComponentScore]:
    scored = await scoring.aprm_score(
        [prm_item(item, params.step_separator) for item in items],
        params.aggregate,
        params.threshold,
    )
    return [_prm_score(result) for result in scored]


def _orm_score(result: ORMResult, output: str) -> ComponentScore:
    if result.error is not None:
        return ComponentScore.failed(result.error)
    details = {"raw": result.score, "reward": result.reward, "truncated": result.truncated}
    return ComponentScore(
        score=result.reward if output == "reward" else result.score, details=details
    )


async def _orm(
    scoring: Scoring, items: Sequence[RewardItem], params: ORMParams
) -> list[ComponentScore]:
    batch = [ORMItem(prompt=item.prompt or "", response=item.response) for item in items]
    return [_orm_score(result, params.output) for result in await scoring.aorm_score(batch)]


PRM_KIND = ComponentKind(score=_prm, params=PRMParams)
ORM_KIND = ComponentKind(score=_orm, params=ORMParams)
