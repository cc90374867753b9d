"""One batched-scorer implementation for every token-budget model (the PRM and the ORM).

Items encode one by one; an item that cannot be encoded (no steps, longer than the model's
window) carries its error while the rest are batched by tokens, and each result is finished in
its item's place. The model loads on first use; a model that cannot load makes every call a
503 with the reason (`ModelNotLoadedError`), which `/readyz` reports too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from mmreward.errors import InvalidInputError, RequestEndedError
from mmreward.prm.encoding import Encoded
from mmreward.prm.served import BatchModel, ServedModel
from mmreward.split import Split

Item = TypeVar("Item")
M = TypeVar("M", bound=BatchModel[object])
R = TypeVar("R")

Finish = Callable[[Encoded, object], R]
"""(an item's encoding, the model's raw output for it) -> the item's result."""


class BatchedScorer(Generic[Item, M]):
    """A lazily loaded model behind its batcher; subclasses say how to encode an item."""

    def __init__(self, served: ServedModel[M], path: Path | None) -> None:
        self.served = served
        self.path = path

    def _encode(self, model: M, item: Item) -> Encoded:
        raise NotImplementedError

    def _split(self, items: Sequence[Item]) -> Split[Encoded]:
        """Every item encoded (loading the model if needed); one that cannot be is refused,
        the reason naming its place in the batch."""
        model = self.served.model

        def encode(entry: tuple[int, Item]) -> Encoded:
            index, item = entry
            try:
                return self._encode(model, item)
            except InvalidInputError as error:
                raise InvalidInputError(f"item {index}: {error}") from None

        return Split.made(enumerate(items), encode)

    def encode(self, items: Sequence[Item]) -> list[Encoded]:
        """Tokenize every item (loading the model if needed); the first bad one raises
        `InvalidInputError`."""
        split = self._split(items)
        for reason in split.refused.values():
            raise InvalidInputError(reason)
        return split.items

    def _score_all(self, items: Sequence[Item], finish: Finish[R]) -> list[R]:
        """Blocking; the first item that cannot be scored raises `InvalidInputError`."""
        encoded = self.encode(items)
        raw = self.served.batcher.run(encoded)
        return [finish(e, r) for e, r in zip(encoded, raw, strict=True)]

    def _score_each(
        self, items: Sequence[Item], finish: Finish[R], failed: Callable[[str], R]
    ) -> list[R]:
        def score(encoded: list[Encoded]) -> list[R]:
            raw = self.served.batcher.run(encoded)
            return [finish(e, r) for e, r in zip(encoded, raw, strict=True)]

        return self._split(items).score(score, failed)

    async def _ascore_each(
        self, items: Sequence[Item], finish: Finish[R], failed: Callable[[str], R]
    ) -> list[R]:
        """An item dropped because its request ended is `failed` in its place."""

        async def score(encoded: list[Encoded]) -> list[R]:
            raw = await self.served.batcher.run_async_each(encoded)
            return [
                failed(str(r)) if isinstance(r, RequestEndedError) else finish(e, r)
                for e, r in zip(encoded, raw, strict=True)
            ]

        split = await asyncio.to_thread(self._split, items)
        return await split.ascore(score, failed)

    async def awarm_up(self) -> None:
        """Load the weights now (off the event loop) and run the warm-up forwards."""
        await self.served.warm_up()

    def problem(self) -> str | None:
        """Why this model cannot score, if known before or after loading it; None when fine."""
        if self.path is not None and not self.path.exists():
            return f"{self.served.what} does not exist"
        return self.served.error

    @property
    def loaded(self) -> bool:
        return self.served.loaded

    def close(self) -> None:
        """Stop the owner thread."""
        self.served.close()
