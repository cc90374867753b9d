"""The in-process doors: the same engine the server runs, without HTTP.

`LocalClient` and `AsyncLocalClient` have the method names, arguments and typed results of
`RewardClient` and `AsyncRewardClient`, so a training script switches between local and remote
scoring by changing its constructor and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mmreward.clients._items import as_models
from mmreward.engine import Engine
from mmreward.grounding.items import GroundingItem
from mmreward.items import RewardItem, VerifyItem
from mmreward.prm.items import ORMItem, ORMResult, PRMItem, PRMResult
from mmreward.prm.scorer import Aggregate
from mmreward.recipes.model import RewardResult
from mmreward.settings import Settings
from mmreward.verifiers.verdict import Verdict


class _Owner:
    def __init__(self, settings: Settings | None = None, *, engine: Engine | None = None) -> None:
        self._owned = engine is None
        self.engine = engine or Engine(settings)

    def close(self) -> None:
        """Close the engine if this client built it (one passed in belongs to the caller)."""
        if self._owned:
            self.engine.close()


class LocalClient(_Owner):
    """Blocking in-process client; not for use inside an event loop (take `AsyncLocalClient`)."""

    def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        return self.engine.verify(as_models(VerifyItem, items))

    def reward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]:
        return self.engine.reward(recipe, as_models(RewardItem, items))

    def prm_score(
        self,
        items: Sequence[PRMItem | dict[str, Any]],
        aggregate: Aggregate = "min",
        threshold: float = 0.5,
    ) -> list[PRMResult]:
        return self.engine.prm_score(as_models(PRMItem, items), aggregate, threshold)

    def orm_score(self, items: Sequence[ORMItem | dict[str, Any]]) -> list[ORMResult]:
        return self.engine.orm_score(as_models(ORMItem, items))

    def grounding_score(self, items: Sequence[GroundingItem | dict[str, Any]]) -> list[Verdict]:
        return self.engine.grounding_score(as_models(GroundingItem, items))

    def __enter__(self) -> LocalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncLocalClient(_Owner):
    """Async in-process client: every method is a coroutine, as on `AsyncRewardClient`."""

    async def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        return await self.engine.averify(as_models(VerifyItem, items))

    async def reward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]:
        return await self.engine.areward(recipe, as_models(RewardItem, items))

    async def prm_score(
        self,
        items: Sequence[PRMItem | dict[str, Any]],
        aggregate: Aggregate = "min",
        threshold: float = 0.5,
    ) -> list[PRMResult]:
        return await self.engine.aprm_score(as_models(PRMItem, items), aggregate, threshold)

    async def orm_score(self, items: Sequence[ORMItem | dict[str, Any]]) -> list[ORMResult]:
        return await self.engine.aorm_score(as_models(ORMItem, items))

    async def grounding_score(
        self, items: Sequence[GroundingItem | dict[str, Any]]
    ) -> list[Verdict]:
        return await self.engine.agrounding_score(as_models(GroundingItem, items))

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> AsyncLocalClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
