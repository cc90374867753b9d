"""`Scorer` and `AsyncScorer`: what every client offers, named once.

The adapters and the training loop take any client through these; mypy checks below that the
four clients (`RewardClient`, `LocalClient` and their async twins) fit them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mmreward.grounding.items import GroundingItem
    from mmreward.items import RewardItem, VerifyItem
    from mmreward.prm.items import ORMItem, ORMResult, PRMItem, PRMResult
    from mmreward.prm.scorer import Aggregate
    from mmreward.recipes.model import RewardResult
    from mmreward.verifiers.verdict import Verdict


class Scorer(Protocol):
    """A blocking client: the five scoring methods, items as models or plain dicts."""

    def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]: ...

    def reward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]: ...

    def prm_score(
        self,
        items: Sequence[PRMItem | dict[str, Any]],
        aggregate: Aggregate = "min",
        threshold: float = 0.5,
    ) -> list[PRMResult]: ...

    def orm_score(self, items: Sequence[ORMItem | dict[str, Any]]) -> list[ORMResult]: ...

    def grounding_score(self, items: Sequence[GroundingItem | dict[str, Any]]) -> list[Verdict]: ...


class AsyncScorer(Protocol):
    """`Scorer` whose methods are coroutines."""

    async def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]: ...

    async def reward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]: ...

    async def prm_score(
        self,
        items: Sequence[PRMItem | dict[str, Any]],
        aggregate: Aggregate = "min",
        threshold: float = 0.5,
    ) -> list[PRMResult]: ...

    async def orm_score(self, items: Sequence[ORMItem | dict[str, Any]]) -> list[ORMResult]: ...

    async def grounding_score(
        self, items: Sequence[GroundingItem | dict[str, Any]]
    ) -> list[Verdict]: ...


AnyScorer = Scorer | AsyncScorer
"""What an adapter accepts: it calls a blocking client on a thread, a coroutine one on a loop."""


if TYPE_CHECKING:
    from mmreward.clients._http import AsyncRewardClient, RewardClient
    from mmreward.clients._local import AsyncLocalClient, LocalClient

    def _clients_fit(
        http: RewardClient, local: LocalClient, ahttp: AsyncRewardClient, alocal: AsyncLocalClient
    ) -> tuple[Scorer, Scorer, AsyncScorer, AsyncScorer]:
        return http, local, ahttp, alocal
