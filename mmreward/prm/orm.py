"""Outcome reward scoring with a sequence-classification reward model, through the same batcher."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mmreward.errors import InvalidInputError
from mmreward.prm.encoding import Encoded
from mmreward.prm.items import ORMItem, ORMResult
from mmreward.prm.served import BatchingOptions, ServedModel, all_or_error, encode_each

if TYPE_CHECKING:
    from mmreward.prm.loading import LoadedORM

MAX_ITEM_CHARS = 1 << 20


def sigmoid(x: float) -> float:
    """Numerically safe logistic function."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class ORMScorer:
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
        self.path = path

        def load() -> LoadedORM:
            from mmreward.prm.loading import load_orm  # torch + transformers: import on first use

            return load_orm(path, device=device, max_tokens=max_tokens, compile_model=compile_model)

        self.served: ServedModel[LoadedORM] = ServedModel(
            load,
            batching or BatchingOptions(),
            name="orm-batcher",
        )

    def _encode(self, item: ORMItem) -> Encoded:
        if len(item.prompt) + len(item.response) > MAX_ITEM_CHARS:
            raise InvalidInputError(f"over {MAX_ITEM_CHARS} characters")
        return self.served.model.encode(item.prompt, item.response)

    def encode(self, items: Sequence[ORMItem]) -> list[Encoded]:
        """Tokenize every item (loading the model if needed); a bad one fails the request."""
        return all_or_error(encode_each(items, self._encode))

    @staticmethod
    def _result(enc: Encoded | InvalidInputError, raw: object) -> ORMResult:
        if isinstance(enc, InvalidInputError):
            return ORMResult.failed(str(enc))
        score = float(cast(float, raw))
        return ORMResult(score=score, reward=sigmoid(score), truncated=enc.truncated)

    def score(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """Blocking scoring for batch jobs; the first item that cannot be scored raises."""
        encoded = self.encode(items)
        raw = self.served.batcher.run(encoded)
        return [self._result(e, r) for e, r in zip(encoded, raw, strict=True)]

    def score_each(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """Blocking scoring where an item that cannot be scored carries its error."""
        encoded = encode_each(items, self._encode)
        raw = self.served.run_each(encoded)
        return [self._result(e, r) for e, r in zip(encoded, raw, strict=True)]

    async def ascore_each(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """`score_each` from an event loop."""
        encoded = await asyncio.to_thread(encode_each, items, self._encode)
        raw = await self.served.arun_each(encoded)
        return [self._result(e, r) for e, r in zip(encoded, raw, strict=True)]

    def close(self) -> None:
        """Stop the owner thread."""
        self.served.close()
