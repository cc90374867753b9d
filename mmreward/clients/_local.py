"""The in-process door: the same engine the server runs, without HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from mmreward.engine import Engine
from mmreward.grounding.items import GroundingItem
from mmreward.items import VerifyItem
from mmreward.prm.scorer import Aggregate, PRMItem, StepScores
from mmreward.recipes import RewardItem, RewardResult
from mmreward.settings import Settings
from mmreward.verifiers.verdict import Verdict


class LocalClient:
    """Scores in this process through its own `Engine` (sandbox workers included)."""

    def __init__(self, settings: Settings | None = None, *, engine: Engine | None = None) -> None:
        self._owned = engine is None
        self.engine = engine or Engine(settings)

    def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        return self.engine.verify_batch([VerifyItem.model_validate(item) for item in items])

    async def averify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        return await self.engine.averify_batch([VerifyItem.model_validate(item) for item in items])

    async def areward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]:
        """Score with a named recipe: the total and the per-component breakdown."""
        return await self.engine.areward(recipe, [RewardItem.model_validate(i) for i in items])

    def reward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]:
        """Blocking `areward`, for synchronous training loops (not from inside an event loop)."""
        return asyncio.run(self.areward(recipe, items))

    def prm_score(
        self, items: Sequence[PRMItem], how: Aggregate = "min", threshold: float = 0.5
    ) -> list[StepScores]:
        """Per-step PRM scores through the engine's batcher (bundled PRM unless configured)."""
        return self.engine.prm.score(items, how, threshold)

    def grounding_score(self, items: Sequence[GroundingItem | dict[str, Any]]) -> list[Verdict]:
        """Detection-grounded rewards for responses about images."""
        return self.engine.grounding.score_batch(
            [GroundingItem.model_validate(item) for item in items]
        )

    def close(self) -> None:
        if self._owned:
            self.engine.close()

    def __enter__(self) -> LocalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
