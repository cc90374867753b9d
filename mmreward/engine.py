"""The scoring engine behind every door: HTTP, the in-process client and relabeling jobs.

It routes items to verifiers, runs their sympy work in the sandbox, caches verdicts and counts
what happened. Doors only parse their input and format the output.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from mmreward.cache import MemoryCache, RedisCache, VerdictCache, cache_key
from mmreward.compute import ComputeLanes
from mmreward.errors import MMRewardError
from mmreward.grounding import component as _grounding_component  # noqa: F401  (recipe kind)
from mmreward.grounding.scorer import GroundingScorer
from mmreward.items import VerifyItem
from mmreward.metrics import CACHE_HITS, ITEMS, SANDBOX_TIMEOUTS
from mmreward.prm import component as _prm_component  # noqa: F401  (recipe kinds prm, orm)
from mmreward.prm.factory import build_orm, build_prm
from mmreward.recipes import RecipeBook, RewardItem, RewardResult, evaluate_recipe
from mmreward.sandbox import Sandbox
from mmreward.settings import Settings
from mmreward.verifiers import Deferred, Verdict
from mmreward.verifiers.registry import get_verifier

log = logging.getLogger(__name__)

_UNCACHED = frozenset({"timeout", "error"})
"""Outcomes that depend on load or on a transient fault; judge them again next time."""


class Engine:
    """Owns the sandbox, the cache and the model components of one server process."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        sandbox: Sandbox | None = None,
        cache: VerdictCache | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.sandbox = sandbox or Sandbox(
            workers=self.settings.sandbox_workers,
            timeout_s=self.settings.sandbox_timeout_s,
            memory_bytes=self.settings.sandbox_memory_mb << 20,
        )
        self.cache = cache if cache is not None else _cache_from(self.settings)
        self.recipes = RecipeBook.load([self.settings.recipes_dir])
        # Every model loads and runs its forwards on these lanes (`mmreward.compute`): no other
        # thread keeps an OpenMP team, and CPU models run one batch per core at once.
        # A compiled graph or a GPU runs one batch at a time, on one lane with every thread.
        one = self.settings.device == "cuda" or self.settings.compile_models
        self.compute = ComputeLanes(self.settings.compute_lanes or (1 if one else None))
        self.grounding = GroundingScorer(self.settings, compute=self.compute)  # loads on first use
        self.prm = build_prm(self.settings, self.compute)  # bundled unless prm_model; lazy load
        self.orm = build_orm(self.settings, self.compute)  # None unless orm_model is set

    def verify_batch(self, items: Sequence[VerifyItem]) -> list[Verdict]:
        """Judge items in order; one bad item gives an error verdict, never a failed batch."""
        verdicts, keys, pending = self._start(items)
        order = list(pending)
        done = self.sandbox.run_many([pending[i] for i in order])
        for i, verdict in zip(order, done, strict=True):
            verdicts[i] = verdict
        return self._finish(items, keys, verdicts, pending)

    async def averify_batch(self, items: Sequence[VerifyItem]) -> list[Verdict]:
        """The async door: extraction runs off the event loop, sympy work in the sandbox."""
        verdicts, keys, pending = await asyncio.to_thread(self._start, items)
        order = list(pending)
        done = await asyncio.gather(*(self.sandbox.arun(pending[i]) for i in order))
        for i, verdict in zip(order, done, strict=True):
            verdicts[i] = verdict
        return self._finish(items, keys, verdicts, pending)

    async def areward(self, recipe: str, items: Sequence[RewardItem]) -> list[RewardResult]:
        """Score items with a named recipe: total reward plus the per-component breakdown."""
        return await evaluate_recipe(self, self.recipes.get(recipe), items)

    async def awarm_up(self) -> None:
        """Load every configured model now, off the event loop, so no request pays for it."""
        await self.prm.served.warm_up()
        if self.orm is not None:
            await self.orm.served.warm_up()
        await asyncio.to_thread(lambda: self.grounding.vocabulary)

    async def aready(self) -> bool:
        """True when a job round-trips through a sandbox worker."""
        verdict = await self.sandbox.arun(Deferred(fn=_sandbox_probe, args=()))
        return verdict.status == "ok"

    def close(self) -> None:
        self.grounding.close()
        self.prm.close()
        if self.orm is not None:
            self.orm.close()
        self.compute.shutdown()
        self.sandbox.close()

    def _start(
        self, items: Sequence[VerifyItem]
    ) -> tuple[list[Verdict | None], list[str], dict[int, Deferred]]:
        items = [self._clip(item) for item in items]
        keys = [cache_key(item) for item in items] if self.cache is not None else []
        verdicts: list[Verdict | None] = (
            list(self.cache.get_many(keys)) if self.cache is not None else [None] * len(items)
        )
        pending: dict[int, Deferred] = {}
        for i, item in enumerate(items):
            if verdicts[i] is not None:
                CACHE_HITS.inc()
                continue
            outcome = _judge(item)
            if isinstance(outcome, Deferred):
                pending[i] = outcome
            else:
                verdicts[i] = outcome
        return verdicts, keys, pending

    def _finish(
        self,
        items: Sequence[VerifyItem],
        keys: list[str],
        verdicts: list[Verdict | None],
        pending: dict[int, Deferred],
    ) -> list[Verdict]:
        final = [v if v is not None else Verdict.failed("error", "not judged") for v in verdicts]
        fresh: dict[str, Verdict] = {}
        for i, (item, verdict) in enumerate(zip(items, final, strict=True)):
            ITEMS.labels(verifier=item.verifier, status=verdict.status).inc()
            if i in pending and verdict.status == "timeout":
                SANDBOX_TIMEOUTS.inc()
            if keys and verdict.status not in _UNCACHED:
                fresh[keys[i]] = verdict
        if self.cache is not None and fresh:
            self.cache.set_many(fresh)
        return final

    def _clip(self, item: VerifyItem) -> VerifyItem:
        """Keep the tail of an over-long response: the final answer lives there."""
        limit = self.settings.max_response_chars
        if len(item.response) <= limit:
            return item
        return item.model_copy(update={"response": item.response[-limit:]})


def _judge(item: VerifyItem) -> Verdict | Deferred:
    try:
        verifier = get_verifier(item.verifier)
        return verifier(item.response, item.reference, options=item.options, **item.params)
    except MMRewardError as error:
        return Verdict.failed("error", str(error))
    except (TypeError, ValueError) as error:
        return Verdict.failed("error", f"bad item: {error}")
    except Exception as error:
        log.exception("verifier %s failed", item.verifier)
        return Verdict.failed("error", f"verifier failed: {type(error).__name__}: {error}")


def _sandbox_probe() -> Verdict:
    return Verdict.judged(True, None, "probe")


def _cache_from(settings: Settings) -> VerdictCache | None:
    if settings.redis_url:
        return RedisCache(settings.redis_url)
    if settings.cache_size > 0:
        return MemoryCache(settings.cache_size)
    return None
