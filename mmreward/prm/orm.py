"""Outcome reward scoring with a sequence-classification reward model, through the same batcher."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mmreward.errors import InvalidInputError
from mmreward.prm.batched import BatchedScorer
from mmreward.prm.encoding import Encoded
from mmreward.prm.items import ORMItem, ORMResult
from mmreward.prm.served import BatchingOptions, ServedModel

if TYPE_CHECKING:
    from mmreward.prm.loading import LoadedORM

MAX_ITEM_CHARS = 1 << 20


def sigmoid(x: float) -> float:
    """Numerically safe logistic function."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class ORMScorer(BatchedScorer[ORMItem, "LoadedORM"]):
    """An outcome reward model behind the token-budget batcher; loads on first use."""

    def __init__(
        self,
        path: Path,
        *,
        device: str = "auto",
        max_tokens: int | None = None,
        batching: BatchingOptions | None = None,
        compile_model: bool = False,
    ) -> None:
        def load() -> LoadedORM:
            from mmreward.prm.loading import load_orm  # torch + transformers: import on first use

            return load_orm(path, device=device, max_tokens=max_tokens, compile_model=compile_model)

        served: ServedModel[LoadedORM] = ServedModel(
            load, batching or BatchingOptions(), name="orm-batcher", what=f"the ORM at {path}"
        )
        super().__init__(served, path)

    def _encode(self, model: LoadedORM, item: ORMItem) -> Encoded:
        if len(item.prompt) + len(item.response) > MAX_ITEM_CHARS:
            raise InvalidInputError(f"over {MAX_ITEM_CHARS} characters")
        return model.encode(item.prompt, item.response)

    def score(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """Blocking scoring for batch jobs; the first item that cannot be scored raises."""
        return self._score_all(items, _result)

    def score_each(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """Blocking scoring where an item that cannot be scored carries its error."""
        return self._score_each(items, _result, ORMResult.failed)

    async def ascore_each(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """`score_each` from an event loop."""
        return await self._ascore_each(items, _result, ORMResult.failed)


def _result(enc: Encoded, raw: object) -> ORMResult:
    score = float(cast(float, raw))
    return ORMResult(score=score, reward=sigmoid(score), truncated=enc.truncated)
