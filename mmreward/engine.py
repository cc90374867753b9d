"""The scoring engine behind every door: HTTP, the in-process clients, relabeling, training.

One method per capability (verify, recipe reward, PRM, ORM, grounding), each with a sync and an
async twin, and one policy across them: a response longer than `max_response_chars` keeps its
tail and the result says so; an item that cannot be scored is an error in its place while the
rest are scored; every item is counted in `mmreward_items_total`. What is pure and repeats in a
GRPO group is cached: verdicts here (in-process or in Redis), detections per image in the
grounding capability; model scores are not (a repeated chain is rare, and the batcher makes a
forward cheap). The capabilities themselves are listed in `mmreward.capabilities`. Doors only
parse their input and format the output.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from mmreward.cache import CACHE_BACKEND, MemoryCache, RedisCache, VerdictCache, cache_key
from mmreward.capabilities import (
    CAPABILITIES,
    Capability,
    CapabilitySpec,
    ModelName,
    ModelState,
    kinds_of,
)
from mmreward.compute import ComputeLanes, on_cuda, resolve_device
from mmreward.encodable import EncodableSplit
from mmreward.errors import InvalidInputError, MMRewardError, ModelNotLoadedError
from mmreward.grounding.items import GroundingItem
from mmreward.grounding.scorer import GroundingScorer
from mmreward.items import RewardItem, VerifyItem
from mmreward.metrics import CACHE_HITS, ITEMS, SANDBOX_TIMEOUTS, item_label
from mmreward.prm.items import ORMItem, ORMResult, PRMItem, PRMResult
from mmreward.prm.orm import ORMScorer
from mmreward.prm.scorer import AGGREGATES, Aggregate, PRMScorer
from mmreward.recipes import Recipe, RecipeBook, RewardResult, evaluate_recipe, refused_reward
from mmreward.sandbox import Sandbox
from mmreward.settings import Settings
from mmreward.split import Split
from mmreward.verifiers import Deferred, Verdict
from mmreward.verifiers.registry import get_verifier
from mmreward.verifiers.verdict import TRUNCATED_REASON

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_C = TypeVar("_C")
_In = TypeVar("_In")
_Out = TypeVar("_Out")
_Clippable = TypeVar("_Clippable", VerifyItem, GroundingItem, ORMItem)

_UNCACHED = frozenset({"timeout", "deadline", "error"})
"""Outcomes not kept: a timeout is remembered by the sandbox for a while instead; a deadline is
the caller's and an error may be a transient fault, so judge them again next time."""
_INLINE_ITEMS = 8
_INLINE_CHARS = 8192
_INLINE_VALUES = 256


class Engine:
    """Owns the sandbox, the verdict cache, the compute lanes and the capabilities of one
    process; `capabilities` defaults to the list in `mmreward.capabilities`."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        sandbox: Sandbox | None = None,
        cache: VerdictCache | None = None,
        capabilities: Sequence[CapabilitySpec] = CAPABILITIES,
    ) -> None:
        self.settings = settings or Settings()
        self.sandbox = sandbox or Sandbox.from_settings(self.settings)
        self.cache = cache if cache is not None else _cache_from(self.settings)
        self.kinds = kinds_of(capabilities)
        self.recipes = RecipeBook.load([self.settings.recipes_dir], kinds=self.kinds)
        self._specs = {spec.name: spec for spec in capabilities}
        self._lock = threading.Lock()
        self._built: _Models | None = None

    def _models(self) -> _Models:
        """The device, lanes and model-backed capabilities, made on first need: an engine
        that only verifies never resolves `auto` (which imports torch)."""
        with self._lock:
            if self._built is None:
                self._built = _Models.build(self.settings, self._specs.values())
            return self._built

    @property
    def device(self) -> str:
        """Where the models run: the `device` setting, `auto` resolved."""
        return self._models().device

    @property
    def compute(self) -> ComputeLanes:
        return self._models().compute

    @property
    def _capabilities(self) -> dict[str, Capability]:
        return self._models().capabilities

    # -- verifiers ---------------------------------------------------------------------------

    def verify(self, items: Sequence[VerifyItem]) -> list[Verdict]:
        """Judge items in order; one bad item gives an error verdict, never a failed batch."""
        split = _counted(items, EncodableSplit(items))
        return split.score(lambda kept: _judged(kept).score(self._verify, _cut), _refused)

    async def averify(self, items: Sequence[VerifyItem]) -> list[Verdict]:
        """`verify` from an event loop: extraction off the loop, sympy work in the sandbox."""
        split = _counted(items, await EncodableSplit.of(items))
        judge = partial(self._averify, values=split.values)
        return await split.ascore(lambda kept: _judged(kept).ascore(judge, _cut), _refused)

    def _verify(self, items: Sequence[VerifyItem]) -> list[Verdict]:
        clipped = [self._clip_item(item) for item in items]
        verdicts, keys, pending = self._start(clipped)
        order = list(pending)
        done = self.sandbox.run_many([pending[i] for i in order]) if order else []
        for i, verdict in zip(order, done, strict=True):
            verdicts[i] = verdict
        return self._clipped(items, self._finish(clipped, keys, verdicts, pending))

    async def _averify(self, items: Sequence[VerifyItem], values: int) -> list[Verdict]:
        """A few short items are read on the loop itself: that takes microseconds, while the hop
        to a worker thread and back cost a 1-item request ~0.1 ms of CPU plus a thread wake-up.
        With a Redis cache the lookup is I/O, so those still go to the thread; so do items
        holding many values (a long reference), which every step reads in full.
        """
        clipped = [self._clip_item(item) for item in items]
        inline = (
            not isinstance(self.cache, RedisCache)
            and len(clipped) <= _INLINE_ITEMS
            and values <= _INLINE_VALUES
            and sum(len(item.response) for item in clipped) <= _INLINE_CHARS
        )
        if inline:
            verdicts, keys, pending = self._start(clipped)
        else:
            verdicts, keys, pending = await asyncio.to_thread(self._start, clipped)
        order = list(pending)
        done = await self.sandbox.arun_many([pending[i] for i in order]) if order else []
        for i, verdict in zip(order, done, strict=True):
            verdicts[i] = verdict
        return self._clipped(items, self._finish(clipped, keys, verdicts, pending))

    # -- recipes -----------------------------------------------------------------------------

    def reward(self, recipe: str, items: Sequence[RewardItem]) -> list[RewardResult]:
        """Blocking `areward`, for synchronous callers (not from inside an event loop)."""
        return _run_blocking(self.areward(recipe, items))

    async def areward(self, recipe: str, items: Sequence[RewardItem]) -> list[RewardResult]:
        """Score items with a named recipe: total reward plus the per-component breakdown."""
        chosen = self.recipes.get(recipe)
        return await _aeach(
            items,
            lambda kept: evaluate_recipe(self, self.kinds, chosen, kept),
            lambda reason: refused_reward(chosen, reason),
        )

    def recipe_list(self) -> list[Recipe]:
        """The recipes this engine knows (built-ins and `recipes_dir`), by name."""
        return self.recipes.recipes()

    # -- process and outcome reward models ---------------------------------------------------

    def prm_score(
        self, items: Sequence[PRMItem], aggregate: Aggregate = "min", threshold: float = 0.5
    ) -> list[PRMResult]:
        """Per-step scores, their aggregate and the first error; a bad item carries `error`."""
        _check_prm_args(aggregate, threshold)
        prm = self._get("prm", PRMScorer)
        score = partial(prm.score_each, how=aggregate, threshold=threshold)
        return _count("prm", _each(items, score, PRMResult.failed))

    async def aprm_score(
        self, items: Sequence[PRMItem], aggregate: Aggregate = "min", threshold: float = 0.5
    ) -> list[PRMResult]:
        """`prm_score` from an event loop: forwards batched with every concurrent caller's."""
        _check_prm_args(aggregate, threshold)
        prm = self._get("prm", PRMScorer)
        score = partial(prm.ascore_each, how=aggregate, threshold=threshold)
        return _count("prm", await _aeach(items, score, PRMResult.failed))

    def orm_score(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """Raw score and sigmoid reward per item; 503 when no outcome model is configured."""
        orm = self._get("orm", ORMScorer)

        def score(kept: list[ORMItem]) -> list[ORMResult]:
            return self._orm_clipped(kept, orm.score_each(self._clip_all(kept)))

        return _count("orm", _each(items, score, ORMResult.failed))

    async def aorm_score(self, items: Sequence[ORMItem]) -> list[ORMResult]:
        """`orm_score` from an event loop."""
        orm = self._get("orm", ORMScorer)

        async def score(kept: list[ORMItem]) -> list[ORMResult]:
            return self._orm_clipped(kept, await orm.ascore_each(self._clip_all(kept)))

        return _count("orm", await _aeach(items, score, ORMResult.failed))

    # -- grounding ---------------------------------------------------------------------------

    def grounding_score(self, items: Sequence[GroundingItem]) -> list[Verdict]:
        """Detection-grounded verdicts for responses about images."""
        grounding = self._get("grounding", GroundingScorer)

        def score(kept: list[GroundingItem]) -> list[Verdict]:
            return self._clipped(kept, grounding.score_batch(self._clip_all(kept)))

        return _count_grounding(items, _each(items, score, _refused))

    async def agrounding_score(self, items: Sequence[GroundingItem]) -> list[Verdict]:
        """`grounding_score` from an event loop: detection batched across callers."""
        grounding = self._get("grounding", GroundingScorer)

        async def score(kept: list[GroundingItem]) -> list[Verdict]:
            return self._clipped(kept, await grounding.ascore_batch(self._clip_all(kept)))

        return _count_grounding(items, await _aeach(items, score, _refused))

    # -- life cycle --------------------------------------------------------------------------

    async def awarm_up(self) -> None:
        """Load every configured model now, off the event loop, so no request pays for it.

        One that fails to load does not keep the others from loading; the first failure is
        raised once all have been tried (`problems()` names each)."""
        failures: list[Exception] = []
        for capability in self._capabilities.values():
            try:
                await capability.awarm_up()
            except Exception as error:
                failures.append(error)
        if failures:
            raise failures[0]

    async def aready(self) -> bool:
        """True when a job round-trips through a sandbox worker."""
        verdict = await self.sandbox.arun(Deferred(fn=_sandbox_probe, args=()))
        return verdict.status == "ok"

    def problems(self) -> dict[str, str]:
        """Capabilities that cannot serve, with the reason (a missing or broken checkpoint)."""
        found = {name: c.problem() for name, c in self._capabilities.items()}
        return {name: problem for name, problem in found.items() if problem is not None}

    def models(self) -> list[tuple[ModelName, ModelState]]:
        """Each configured model by name (never its path) and whether it is in memory, loads
        on first use, or cannot load (`problems` says why)."""
        problems = self.problems()
        described = []
        for name, spec in self._specs.items():
            model = spec.describe(self.settings) if spec.describe is not None else None
            if model is None:
                continue
            capability = self._capabilities.get(name)
            state: ModelState = "on first use"
            if name in problems:
                state = "failed"
            elif capability is not None and capability.loaded:
                state = "loaded"
            described.append((model, state))
        return described

    @property
    def models_loaded(self) -> dict[str, bool]:
        """Which model-backed capabilities have their weights in memory."""
        return {name: capability.loaded for name, capability in self._capabilities.items()}

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._built is not None:
            for capability in reversed(self._built.capabilities.values()):
                capability.close()
            self._built.compute.shutdown()
        self.sandbox.close()

    def _start(
        self, items: Sequence[VerifyItem]
    ) -> tuple[list[Verdict | None], list[str], dict[int, Deferred]]:
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
        counts: Counter[tuple[str, str]] = Counter()  # one increment per series, not per item
        for i, (item, verdict) in enumerate(zip(items, final, strict=True)):
            counts[item.verifier, verdict.status] += 1
            if i in pending and verdict.status == "timeout":
                SANDBOX_TIMEOUTS.inc()
            if keys and verdict.status not in _UNCACHED:
                fresh[keys[i]] = verdict
        for (verifier, status), count in counts.items():
            ITEMS.labels(verifier=item_label(verifier), status=status).inc(count)
        if self.cache is not None and fresh:
            self.cache.set_many(fresh)
        return final

    def _clip_item(self, item: _Clippable) -> _Clippable:
        """Keep the tail of an over-long response: the final answer lives there."""
        limit = self.settings.max_response_chars
        if len(item.response) <= limit:
            return item
        return item.model_copy(update={"response": item.response[-limit:]})

    def _clip_all(self, items: Sequence[_Clippable]) -> list[_Clippable]:
        return [self._clip_item(item) for item in items]

    def _clipped(self, items: Sequence[_Clippable], verdicts: list[Verdict]) -> list[Verdict]:
        """Say in `details` how many characters clipping dropped from each response."""
        limit = self.settings.max_response_chars
        return [
            _with_clipping(verdict, len(item.response) - limit)
            for item, verdict in zip(items, verdicts, strict=True)
        ]

    def _orm_clipped(self, items: Sequence[ORMItem], results: list[ORMResult]) -> list[ORMResult]:
        """A clipped response is an input cut to fit, like a prompt cut to the model's window."""
        limit = self.settings.max_response_chars
        return [
            result.model_copy(update={"truncated": True})
            if len(item.response) > limit and result.error is None
            else result
            for item, result in zip(items, results, strict=True)
        ]

    def _get(self, name: str, kind: type[_C]) -> _C:
        """The built capability `name`; a 503 when the settings configure none."""
        capability = self._capabilities.get(name)
        if capability is None:
            spec = self._specs.get(name)
            reason = spec.unconfigured if spec is not None and spec.unconfigured else ""
            raise ModelNotLoadedError(reason or f"{name} is not available on this server")
        if not isinstance(capability, kind):
            raise TypeError(f"capability {name!r} is a {type(capability).__name__}")
        return capability


@dataclass(frozen=True)
class _Models:
    device: str
    compute: ComputeLanes
    capabilities: dict[str, Capability]

    @classmethod
    def build(cls, settings: Settings, specs: Iterable[CapabilitySpec]) -> _Models:
        device = resolve_device(settings.device)
        # Every model loads and runs its forwards on these lanes (`mmreward.compute`): no other
        # thread keeps an OpenMP team, and CPU models run one batch per core at once.
        # A compiled graph or a GPU runs one batch at a time, on one lane with every thread.
        one = on_cuda(device) or settings.compile_models
        compute = ComputeLanes(settings.compute_lanes or (1 if one else None))
        capabilities: dict[str, Capability] = {}
        for spec in specs:  # models load on first use (or in `awarm_up`)
            built = spec.build(settings, device, compute) if spec.build else None
            if built is not None:
                capabilities[spec.name] = built
        return cls(device, compute, capabilities)


def _each(
    items: Sequence[_In], score: Callable[[list[_In]], list[_Out]], failed: Callable[[str], _Out]
) -> list[_Out]:
    """The per-item policy around a capability: an item that cannot be taken in
    (`mmreward.encodable`) is `failed(reason)` in its place; the others are scored together."""
    return EncodableSplit(items).score(score, failed)


async def _aeach(
    items: Sequence[_In],
    score: Callable[[list[_In]], Awaitable[list[_Out]]],
    failed: Callable[[str], _Out],
) -> list[_Out]:
    """`_each` from an event loop (a large batch is checked on a worker thread)."""
    return await (await EncodableSplit.of(items)).ascore(score, failed)


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


def _counted(
    items: Sequence[VerifyItem], split: EncodableSplit[VerifyItem]
) -> EncodableSplit[VerifyItem]:
    """The refused items counted here (`_finish` counts the rest)."""
    for index in split.refused:
        ITEMS.labels(verifier=item_label(items[index].verifier), status="error").inc()
    return split


def _refused(reason: str) -> Verdict:
    return Verdict.failed("error", reason)


def _judged(items: Sequence[VerifyItem]) -> Split[VerifyItem]:
    """The items to judge: a truncated response is not judged (reward 0, status `truncated`):
    rewarding its answer teaches a policy to stop ending its responses."""

    def cut(item: VerifyItem) -> str | None:
        if not item.truncated:
            return None
        ITEMS.labels(verifier=item_label(item.verifier), status="truncated").inc()
        return TRUNCATED_REASON

    return Split.where(items, cut)


def _cut(reason: str) -> Verdict:
    return Verdict.truncated()


def _check_prm_args(aggregate: str, threshold: float) -> None:
    """What the HTTP schema refuses, refused for in-process callers too (a NaN threshold would
    mark no step as the first error), before any model loads."""
    if aggregate not in AGGREGATES:
        raise InvalidInputError(f"unknown aggregate {aggregate!r}; one of {', '.join(AGGREGATES)}")
    if not 0 <= threshold <= 1:
        raise InvalidInputError(f"threshold {threshold} is not in [0, 1]")


def _sandbox_probe() -> Verdict:
    return Verdict.judged(True, None, "probe")


def _cache_from(settings: Settings) -> VerdictCache | None:
    if settings.redis_url:
        return RedisCache(settings.redis_url)
    if settings.cache_size > 0:
        return MemoryCache(settings.cache_size)
    CACHE_BACKEND.labels("off").set(1)
    return None


def _with_clipping(verdict: Verdict, dropped: int) -> Verdict:
    if dropped <= 0:
        return verdict
    return verdict.with_details(clipped_chars=dropped)


_R = TypeVar("_R", PRMResult, ORMResult)


def _count(capability: str, results: list[_R]) -> list[_R]:
    for result in results:
        ITEMS.labels(verifier=capability, status="ok" if result.error is None else "error").inc()
    return results


def _count_grounding(items: Sequence[GroundingItem], verdicts: list[Verdict]) -> list[Verdict]:
    for item, verdict in zip(items, verdicts, strict=True):
        ITEMS.labels(verifier=f"grounding:{item.task}", status=verdict.status).inc()
    return verdicts


def _run_blocking(job: Coroutine[Any, Any, _T]) -> _T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(job)
    job.close()
    raise RuntimeError(
        "a blocking Engine method was called inside an event loop; await its a* twin"
    )
