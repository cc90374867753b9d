"""The `prm` and `orm` recipe components.

`prm` reads the problem from the item's `prompt` (or `problem`) field and the steps from its
`steps` list, or splits the response on `step_separator`. Its score is the aggregate; the per-step
scores ride along in `details["step_scores"]` for trainers that want step-level advantages.
`orm` reads `prompt` and `response`; its score is the sigmoid reward, or the raw logit.
A completion either model cannot score (empty, or longer than its window) scores 0 with the
reason in ``details["error"]``, and the rest of the batch is scored as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mmreward.components import ComponentKind, ComponentScore
from mmreward.errors import InvalidInputError
from mmreward.items import RewardItem
from mmreward.prm.items import ORMItem, PRMItem
from mmreward.prm.scorer import Aggregate

if TYPE_CHECKING:
    from mmreward.engine import Engine


class PRMParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aggregate: Aggregate = "min"
    threshold: float = Field(0.5, ge=0, le=1)
    step_separator: str = Field("\n\n", min_length=1, description="splits responses into steps")


class ORMParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    output: Literal["reward", "raw"] = "reward"


def _text_field(extra: dict[str, Any], *names: str) -> str:
    for name in names:
        value = extra.get(name)
        if isinstance(value, str):
            return value
    return ""


def prm_item(item: RewardItem, separator: str, index: int) -> PRMItem:
    """The problem and steps of a recipe item; an empty response gives an item with no steps."""
    extra = item.model_extra or {}
    steps = extra.get("steps")
    if steps is None:
        steps = [s.strip() for s in item.response.split(separator) if s.strip()]
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise InvalidInputError(f"items[{index}]: `steps` must be a list of strings")
    return PRMItem(problem=_text_field(extra, "prompt", "problem"), steps=steps)


async def _prm(
    engine: Engine, items: Sequence[RewardItem], params: PRMParams
) -> list[ComponentScore]:
    batch = [prm_item(item, params.step_separator, i) for i, item in enumerate(items)]
    scored = await engine.aprm_score(batch, params.aggregate, params.threshold)
    return [
        ComponentScore(score=0.0, details={"error": s.error})
        if s.error is not None
        else ComponentScore(
            score=s.score,
            details={
                "step_scores": s.step_scores,
                "first_error": s.first_error,
                "truncated": s.truncated,
            },
        )
        for s in scored
    ]


async def _orm(
    engine: Engine, items: Sequence[RewardItem], params: ORMParams
) -> list[ComponentScore]:
    batch = [
        ORMItem(prompt=_text_field(item.model_extra or {}, "prompt"), response=item.response)
        for item in items
    ]
    scored = await engine.aorm_score(batch)
    return [
        ComponentScore(score=0.0, details={"error": s.error})
        if s.error is not None
        else ComponentScore(
            score=s.reward if params.output == "reward" else s.score,
            details={"raw": s.score, "reward": s.reward, "truncated": s.truncated},
        )
        for s in scored
    ]


PRM_KIND = ComponentKind(score=_prm, params=PRMParams)
ORM_KIND = ComponentKind(score=_orm, params=ORMParams)
