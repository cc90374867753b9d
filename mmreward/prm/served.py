"""A model behind a token-budget batcher, loaded on first use.

Loading is deferred so that a server (or a test) starts instantly and pays the load once, on the
first request, under a lock; every later request shares the same weights and owner thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from mmreward.batching import in_fresh_thread
from mmreward.compute import lanes_of
from mmreward.errors import ModelNotLoadedError
from mmreward.prm.batcher import TokenBudgetBatcher
from mmreward.prm.encoding import Encoded

R = TypeVar("R", covariant=True)
M = TypeVar("M", bound="BatchModel[object]")


class BatchModel(Protocol[R]):
    """What the batcher needs from a loaded model."""

    @property
    def default_batch_tokens(self) -> int: ...

    def score_batch(self, items: Sequence[Encoded]) -> Sequence[R]: ...

    def sample(self) -> Encoded: ...

    @property
    def concurrent_forwards(self) -> bool: ...


@dataclass(frozen=True)
class BatchingOptions:
    """Batcher knobs from the server settings (no token budget means the model's default), and
    the engine's compute lanes, if any, that loading and forwards run on."""

    max_batch_tokens: int | None = None
    max_wait_s: float = 0.005
    max_queue: int = 4096
    compute: Executor | None = None


class ServedModel(Generic[M]):
    """Lazily loaded model plus its batcher."""

    def __init__(
        self, load: Callable[[], M], options: BatchingOptions, name: str, what: str
    ) -> None:
        self._load = load
        self._options = options
        self._name = name
        self.what = what
        """The model in words, for error messages: "the PRM at /models/prm"."""
        self.error: str | None = None
        """Why loading failed; every later call fails with it instead of loading again."""
        self._lock = threading.Lock()
        self._model: M | None = None
        self._batcher: TokenBudgetBatcher[object] | None = None

    @property
    def model(self) -> M:
        """The loaded model (loads it on first access)."""
        return self._ensure()[0]

    @property
    def batcher(self) -> TokenBudgetBatcher[object]:
        """The batcher in front of the model (starts it on first access)."""
        return self._ensure()[1]

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory yet."""
        return self._model is not None

    def _ensure(self) -> tuple[M, TokenBudgetBatcher[object]]:
        with self._lock:
            if self.error is not None:
                raise ModelNotLoadedError(self.error)
            if self._model is None or self._batcher is None:
                compute = self._options.compute
                try:
                    model = (
                        compute.submit(self._load).result()
                        if compute is not None
                        else in_fresh_thread(self._load)
                    )
                except Exception as error:  # a server misconfiguration, not the client's fault
                    self.error = f"{self.what} could not be loaded: {type(error).__name__}: {error}"
                    raise ModelNotLoadedError(self.error) from error
                self._batcher = TokenBudgetBatcher(
                    model.score_batch,
                    max_batch_tokens=self._options.max_batch_tokens or model.default_batch_tokens,
                    max_wait_s=self._options.max_wait_s,
                    max_queue=self._options.max_queue,
                    name=self._name,
                    compute=compute,
                    lanes=lanes_of(compute, model.concurrent_forwards),
                )
                self._model = model
            return self._model, self._batcher

    async def warm_up(self) -> None:
        """Load the weights off the event loop, then run a one-row and a two-row forward.

        A compiled model traces its graphs on these (one for a single row, one for every other
        batch size), so the first real requests do not wait for compilation.
        """
        model, batcher = await asyncio.to_thread(self._ensure)
        probe = model.sample()
        for rows in (1, 2):
            await batcher.run_async([probe] * rows)

    def close(self) -> None:
        """Stop the owner thread if it was started."""
        with self._lock:
            if self._batcher is not None:
                self._batcher.close()
                self._batcher = None
