"""The contract between recipes and the capabilities that score their components.

A component kind is an async function scoring a whole batch plus the pydantic model of its
`params`, so a kind backed by a model batches on the accelerator and the verifier kinds send
sympy work through the engine's sandbox. `params` is validated when a recipe is loaded, so a
typo in a recipe file fails at server start rather than on the first request. This module
depends on nothing else in the package, so recipes and capabilities both build on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from mmreward.errors import InvalidInputError
from mmreward.items import RewardItem, VerifyItem
from mmreward.names import unknown_name

if TYPE_CHECKING:
    from mmreward.grounding.items import GroundingItem
    from mmreward.prm.items import ORMItem, ORMResult, PRMItem, PRMResult
    from mmreward.prm.scorer import Aggregate
    from mmreward.verifiers.verdict import Verdict


class ComponentScore(BaseModel):
    """What a component kind says about one item."""

    score: float
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def failed(cls, reason: str) -> ComponentScore:
        """An item this component cannot score: 0, with the reason; the others are scored."""
        return cls(score=0.0, details={"error": reason})

    @classmethod
    def of_verdict(cls, verdict: Verdict) -> ComponentScore:
        """A verdict as a component's score: its reward, everything else in `details`."""
        return cls(score=verdict.reward, details=verdict.model_dump(exclude={"reward"}))


class Scoring(Protocol):
    """What a component kind may call: the engine's async scoring methods, nothing else."""

    async def averify(self, items: Sequence[VerifyItem]) -> list[Verdict]: ...

    async def aprm_score(
        self, items: Sequence[PRMItem], aggregate: Aggregate = "min", threshold: float = 0.5
    ) -> list[PRMResult]: ...

    async def aorm_score(self, items: Sequence[ORMItem]) -> list[ORMResult]: ...

    async def agrounding_score(self, items: Sequence[GroundingItem]) -> list[Verdict]: ...


ScoreBatch = Callable[[Scoring, Sequence[RewardItem], Any], Awaitable[list[ComponentScore]]]
"""(scoring, items, validated params) -> one score per item, in order; an item the kind cannot
read is `ComponentScore.failed` in its place, never an exception for the batch."""


@dataclass(frozen=True)
class ComponentKind:
    score: ScoreBatch
    params: type[BaseModel]


Kinds = Mapping[str, ComponentKind]


def find_kind(kinds: Kinds, name: str) -> ComponentKind:
    """The kind called `name`, or a 422 naming the known ones."""
    try:
        return kinds[name]
    except KeyError:
        raise InvalidInputError(unknown_name("component kind", name, kinds)) from None
