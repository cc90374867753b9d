"""verifiers (PrimeIntellect, 0.4): reward functions for a `Task`, scored through any client.

verifiers 0.4 has no `Rubric(funcs=..., weights=...)` object any more: a `Task` scores a
finished trace with its `@vf.reward` methods and the functions plugged by name in its config
(`TaskConfig(rewards={name: {fn: "module:function", weight: ...}})`), each called with the
arguments it names (`task`, `trace`) and recorded under its name with its weight in
`trace.rewards`; `trace.reward` is the weighted sum. Two doors onto that:

- `rubric(client, verifier=... | recipe=..., components=[...])` builds the functions, and
  `Rubric.attach(TaskClass)` adds them to a `Task` class as its reward methods: one function for
  a verifier, or one per recipe component (each its weighted share, so each is its own logged
  reward and their sum is the recipe's total; the recipe is scored once per trace).
- `score` is a plain module function for the config door
  (`fn="mmreward.clients.verifiers:score"`), set by `MMREWARD_ADAPTER_VERIFIER` (default
  `math`) or `MMREWARD_ADAPTER_RECIPE` and `MMREWARD_URL` / `MMREWARD_API_KEY`.

The response is the trace's last reply; the reference is the task data's `answer` field (or
the one named); the prompt and the recipe fields (`question`, `steps`, `options`, ...) come
from the task data too. verifiers says when a response was cut (`trace.is_truncated`: a
`length` finish or a token limit), and a cut response earns no answer reward. A sample the
server could not judge before its deadline has no verdict: its reward function raises, and
verifiers records the scoring error on the trace instead of a 0 to train on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from mmreward.clients._adapt import (
    NO_VERDICT,
    ROW_FIELDS,
    NoVerdictError,
    Row,
    Scored,
    Target,
    ascore_rows,
    checked_target,
    env_choice,
    shared_async_client,
    unique_name,
)
from mmreward.clients.scorer import AnyScorer

_TASK_FIELDS = tuple(f for f in ROW_FIELDS if f not in ("image", "truncated", "prompt"))
"""Recipe fields read from the task data (its `image` is a container image, not a picture)."""


def _field(task: Any, name: str) -> Any:
    value = getattr(task, name, None)
    if value is None:
        value = (getattr(task, "model_extra", None) or {}).get(name)
    return value


def trace_row(task: Any, trace: Any, answer_field: str = "answer") -> Row:
    """A verifiers task and its finished trace as a row to score."""
    extra: dict[str, Any] = {f: v for f in _TASK_FIELDS if (v := _field(task, f)) is not None}
    prompt = getattr(task, "prompt_text", None)
    if prompt:
        extra["prompt"] = prompt
        extra.setdefault("question", prompt)
    extra["truncated"] = bool(getattr(trace, "is_truncated", False))
    return Row(str(getattr(trace, "last_reply", "") or ""), _field(task, answer_field), extra)


class _PerTrace:
    """The component functions of one recipe share one scoring call per trace: verifiers
    runs a task's reward functions concurrently, and several traces at once."""

    def __init__(self, readers: int) -> None:
        self.readers = readers
        self.pending: dict[int, tuple[asyncio.Task[list[Scored]], list[int]]] = {}

    async def score(self, client: AnyScorer, target: Target, trace: Any, row: Row) -> Scored:
        key = id(trace)
        entry = self.pending.get(key)
        if entry is None:
            job = asyncio.ensure_future(ascore_rows(client, target, [row]))
            entry = self.pending[key] = (job, [self.readers])
        job, left = entry
        left[0] -= 1
        if left[0] == 0:
            del self.pending[key]
        [scored] = await asyncio.shield(job)
        return scored


class RewardFunction:
    """One verifiers reward function (`(task, trace) -> float`), tagged as `@vf.reward` tags
    its methods: verifiers reads `reward`, `reward_priority` and `_vf_weight`."""

    reward = True
    reward_priority = 0

    def __init__(
        self,
        rubric: Rubric,
        name: str,
        component: str | None,
        weight: float,
    ) -> None:
        self._rubric = rubric
        self._component = component
        self.__name__ = name
        self._vf_weight = weight

    async def __call__(self, task: Any, trace: Any) -> float:
        scored = await self._rubric.score(task, trace)
        if scored.status == NO_VERDICT:
            raise NoVerdictError(
                f"{self.__name__}: no verdict (the reward server's deadline passed first)"
            )
        if self._component is None:
            return scored.reward
        if self._component not in scored.weighted:
            known = ", ".join(scored.weighted) or "none"
            raise KeyError(f"recipe has no component {self._component!r}; it has: {known}")
        return scored.weighted[self._component]


class Rubric:
    """The reward functions of one verifier or recipe, for a verifiers `Task`."""

    def __init__(
        self,
        client: AnyScorer | None,
        target: Target,
        components: Sequence[str] | None,
        answer_field: str,
        prefix: str,
        weight: float,
    ) -> None:
        self.client = client
        self.target = target
        self.answer_field = answer_field
        parts: list[str | None] = list(components) if components else [None]
        self._memo = _PerTrace(len(parts))
        identity = repr((target.verifier, target.recipe, sorted(target.params.items())))
        self.funcs = [
            RewardFunction(
                self,
                unique_name(prefix if part is None else f"{prefix}_{part}", identity + repr(part)),
                part,
                weight,
            )
            for part in parts
        ]

    async def score(self, task: Any, trace: Any) -> Scored:
        client = self.client or shared_async_client()
        row = trace_row(task, trace, self.answer_field)
        return await self._memo.score(client, self.target, trace, row)

    def attach(self, task_class: type[Any]) -> type[Any]:
        """Add the functions to a `Task` class as its reward methods (returns the class)."""
        for func in self.funcs:
            setattr(task_class, func.__name__, func)
        return task_class


def rubric(
    client: AnyScorer | None = None,
    *,
    verifier: str = "math",
    recipe: str | None = None,
    components: Sequence[str] | None = None,
    answer_field: str = "answer",
    name: str | None = None,
    weight: float = 1.0,
    **params: Any,
) -> Rubric:
    """Reward functions scoring with `verifier` (settings in `params`) or with `recipe`.

    `client` is any of the four (default: the running loop's shared client for
    `$MMREWARD_URL`, in-process when unset). With `components`, one function per recipe
    component named `<name>_<component>`, each returning its weighted share; else one
    function named `name` (default `mmreward_<verifier or recipe>`). `weight` is the weight
    verifiers multiplies each by.
    """
    if components and recipe is None:
        raise ValueError("components are a recipe's; name the recipe")
    target = checked_target(client, verifier, recipe, params)
    prefix = name or f"mmreward_{target.label}"
    return Rubric(client, target, components, answer_field, prefix, weight)


_env_rubrics: dict[tuple[str, str | None], Rubric] = {}


async def score(task: Any, trace: Any) -> float:
    """The config door: `TaskConfig(rewards={"mmreward": {"fn":
    "mmreward.clients.verifiers:score"}})`, set by `MMREWARD_ADAPTER_VERIFIER` /
    `MMREWARD_ADAPTER_RECIPE` and `MMREWARD_URL`."""
    verifier, recipe = env_choice()
    chosen = _env_rubrics.get((verifier, recipe))
    if chosen is None:
        chosen = _env_rubrics.setdefault(
            (verifier, recipe), rubric(verifier=verifier, recipe=recipe)
        )
    [func] = chosen.funcs
    return await func(task, trace)
