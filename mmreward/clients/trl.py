"""TRL `GRPOTrainer` reward functions: `f(prompts, completions, **columns) -> list[float | None]`.

TRL hands every dataset column but `prompt` to each reward function as a keyword argument, keys
its logged metrics by the function's `__name__`, treats `None` as "skip this sample", and runs
`async def` functions concurrently on its own event loop. So: one object per function, each
with a unique name; a recipe either as one function (its components logged through TRL's
`log_metric`/`log_extra` hooks) or as one function per component (`trl_component_funcs`, so TRL
logs and weighs each itself).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from mmreward.clients._adapt import (
    NO_VERDICT,
    ROW_FIELDS,
    Row,
    Scored,
    Target,
    ascore_rows,
    checked_target,
    message_text,
    prompt_text,
    score_rows,
    unique_name,
)
from mmreward.clients.scorer import AnyScorer

_NO_REFERENCE = frozenset({"format"})
"""Verifiers that judge the response alone; their reference column may be absent."""


def completion_text(completion: str | Sequence[Mapping[str, Any]]) -> str:
    """TRL passes plain strings, or chat messages whose last assistant turn is the answer."""
    if isinstance(completion, str):
        return completion
    for message in reversed(completion):
        if message.get("role", "assistant") == "assistant":
            return message_text(message)
    return ""


@dataclass(frozen=True)
class _Config:
    client: AnyScorer
    target: Target
    reference_column: str
    image_column: str
    abstain: bool
    eos_token_id: int | None

    def rows(self, prompts: Sequence[Any], completions: Sequence[Any], columns: Any) -> list[Row]:
        references = columns.get(self.reference_column)
        if references is None:
            if self.target.recipe is None and self.target.verifier not in _NO_REFERENCE:
                raise ValueError(
                    f"the {self.target.verifier!r} verifier needs the reference column "
                    f"{self.reference_column!r}; the dataset has: {', '.join(sorted(columns))}"
                )
            references = [None] * len(completions)
        images = columns.get(self.image_column, columns.get("images"))
        ids = columns.get("completion_ids") if self.eos_token_id is not None else None
        rows = []
        for i, (prompt, completion) in enumerate(zip(prompts, completions, strict=True)):
            extra = {f: columns[f][i] for f in ROW_FIELDS if f in columns and f != "image"}
            extra.setdefault("prompt", prompt_text(prompt))
            extra.setdefault("question", extra["prompt"])
            if images is not None:
                extra["image"] = images[i]
            if ids is not None:  # no EOS at the end: cut at max_completion_length
                extra["truncated"] = not ids[i] or ids[i][-1] != self.eos_token_id
            rows.append(Row(completion_text(completion), references[i], extra))
        return rows

    def identity(self, component: str | None = None) -> str:
        """What this configuration scores, whatever client it goes through."""
        target = self.target
        params = sorted((k, repr(v)) for k, v in target.params.items())
        return repr(
            (
                target.verifier,
                target.recipe,
                params,
                component,
                self.reference_column,
                self.image_column,
                self.abstain,
                self.eos_token_id,
            )
        )

    def key(self, rows: Sequence[Row]) -> tuple[Any, ...]:
        return tuple((r.response, repr(r.reference), r.extra.get("prompt")) for r in rows)


class _Memo:
    """The component functions of one recipe share one scoring call per batch: the first to
    see a batch scores it, and the others read that result once each."""

    def __init__(self, readers: int) -> None:
        self.readers = readers
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] | None = None
        self.unread = 0
        self.scored: list[Scored] = []
        self.task: asyncio.Task[list[Scored]] | None = None

    def _fresh(self, key: tuple[Any, ...]) -> bool:
        if key == self.key and self.unread > 0:
            self.unread -= 1
            return False
        self.key, self.unread = key, self.readers - 1
        return True

    def score(self, config: _Config, rows: list[Row]) -> list[Scored]:
        with self.lock:
            if self._fresh(config.key(rows)):
                self.scored = score_rows(config.client, config.target, rows)
            return self.scored

    async def ascore(self, config: _Config, rows: list[Row]) -> list[Scored]:
        if self._fresh(config.key(rows)) or self.task is None:
            self.task = asyncio.ensure_future(ascore_rows(config.client, config.target, rows))
        return await asyncio.shield(self.task)


class _TRLReward:
    def __init__(self, config: _Config, name: str, component: str | None, memo: _Memo) -> None:
        self._config = config
        self._component = component
        self._memo = memo
        self.__name__ = name

    def _rewards(self, scored: Sequence[Scored], columns: Mapping[str, Any]) -> list[float | None]:
        if self._component is None:
            self._log(scored, columns)
        rewards: list[float | None] = []
        for s in scored:
            if s.status == NO_VERDICT or (self._config.abstain and s.abstained):
                rewards.append(None)
            elif self._component is None:
                rewards.append(s.reward)
            elif self._component in s.weighted:
                rewards.append(s.weighted[self._component])
            else:
                known = ", ".join(s.weighted) or "none"
                raise KeyError(f"recipe has no component {self._component!r}; it has: {known}")
        return rewards

    def _log(self, scored: Sequence[Scored], columns: Mapping[str, Any]) -> None:
        """TRL >= 1.0 passes `log_metric` (scalar per step) and `log_extra` (a column of the
        completions table) to reward functions; older versions pass neither."""
        log_metric, log_extra = columns.get("log_metric"), columns.get("log_extra")
        for part in scored[0].parts if scored else ():
            values = [s.parts[part] for s in scored]
            if callable(log_metric):
                log_metric(f"{self.__name__}/{part}", fmean(values))
            if callable(log_extra):
                log_extra(f"{self.__name__}/{part}", values)
        if callable(log_extra):
            log_extra(f"{self.__name__}/status", [s.status for s in scored])


class TRLReward(_TRLReward):
    """A synchronous TRL reward function (any client; coroutine clients run on a side loop)."""

    def __call__(
        self, prompts: list[Any], completions: list[Any], **columns: Any
    ) -> list[float | None]:
        rows = self._config.rows(prompts, completions, columns)
        return self._rewards(self._memo.score(self._config, rows), columns)


class AsyncTRLReward(_TRLReward):
    """The `async def` form, which TRL runs concurrently with its other reward functions."""

    async def __call__(
        self, prompts: list[Any], completions: list[Any], **columns: Any
    ) -> list[float | None]:
        rows = self._config.rows(prompts, completions, columns)
        return self._rewards(await self._memo.ascore(self._config, rows), columns)


def trl_reward_func(
    client: AnyScorer,
    *,
    verifier: str = "math",
    recipe: str | None = None,
    name: str | None = None,
    reference_column: str = "solution",
    image_column: str = "image",
    abstain: bool = False,
    eos_token_id: int | None = None,
    **params: Any,
) -> TRLReward:
    """One reward function scoring with `verifier` (settings in `params`) or with `recipe`.

    Its name (TRL's metric key) is `name`, else `mmreward_<verifier or recipe>`, numbered when
    a differently configured function took it (the same configuration built again keeps it).
    With `abstain=True`, timeouts, errors and unparsable references give None (TRL skips
    them) instead of 0; an item whose deadline passed before it was judged (`deadline`, only
    over HTTP) always gives None. A recipe's component scores go to TRL's logs as
    `<name>/<component>`. With `eos_token_id`, a completion that does not end with it (cut at
    `max_completion_length`) is truncated: no reward for its answer.
    """
    target = checked_target(client, verifier, recipe, params)
    config = _Config(client, target, reference_column, image_column, abstain, eos_token_id)
    label = name or unique_name(f"mmreward_{config.target.label}", config.identity())
    return TRLReward(config, label, None, _Memo(1))


def async_trl_reward_func(client: AnyScorer, **options: Any) -> AsyncTRLReward:
    """`trl_reward_func` (the same options) as an `async def` function (for `AsyncRewardClient`
    especially)."""
    made = trl_reward_func(client, **options)
    return AsyncTRLReward(made._config, made.__name__, None, made._memo)


def trl_component_funcs(
    client: AnyScorer,
    recipe: str,
    components: Sequence[str],
    *,
    prefix: str | None = None,
    reference_column: str = "solution",
    image_column: str = "image",
    abstain: bool = False,
    eos_token_id: int | None = None,
    asynchronous: bool = False,
) -> list[TRLReward] | list[AsyncTRLReward]:
    """One function per recipe component, returning its weighted share: TRL logs each under
    `<prefix>_<component>` and, with its default reward weights of 1, sums them to the recipe's
    total. The recipe is scored once per batch, whichever function TRL calls first."""
    target = checked_target(client, recipe=recipe)
    config = _Config(client, target, reference_column, image_column, abstain, eos_token_id)
    base = prefix or f"mmreward_{recipe}"
    memo = _Memo(len(components))
    names = [unique_name(f"{base}_{c}", config.identity(c)) for c in components]
    if asynchronous:
        return [AsyncTRLReward(config, n, c, memo) for n, c in zip(names, components, strict=True)]
    return [TRLReward(config, n, c, memo) for n, c in zip(names, components, strict=True)]
