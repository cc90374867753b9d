"""verl `custom_reward_function`s: `compute_score` for the reward loop, and the legacy forms.

verl 0.9's `main_ppo` scores through its reward loop (`reward.reward_manager.name=naive`, `dapo`,
`gdpo` or `rate_limited`), which awaits an `async def compute_score` on the reward worker's
event loop: `compute_score` here is that coroutine, scoring through one coroutine client per
loop (`AsyncRewardClient` with `url`, else an `AsyncLocalClient` over one engine per process).
Point verl at `custom_reward_function.path=pkg://mmreward.clients.adapters` (works from any
directory; an absolute file path works too) and `name=compute_score`.

The other three serve verl's legacy reward managers (older verl, whose `main_ppo` offered
`naive`, `batch` and `prime`, or those classes built by hand): `compute_score_sync` (legacy
naive/DAPO, on executor threads), `compute_score_batch` (batch) and `compute_score_float`
(prime, a bare float).

Settings come from `custom_reward_function.reward_kwargs` (`verifier`, `recipe`, `url`,
`api_key`, and any verifier setting), then from the sample's `extra_info` (`verifier`, `recipe`,
and the fields a recipe reads: `image`, `question`, `prompt`, `steps`, `options`, ...).
verl tells the function nothing that shows a response was cut at the length limit (the reward
loop decodes the valid ids with `skip_special_tokens=True` and passes no length): its own
DAPO overlong penalty (`reward.reward_kwargs.overlong_buffer_cfg`) is the tool for that.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mmreward.clients._adapt import (
    ROW_FIELDS,
    Row,
    Scored,
    Target,
    ascore_by_target,
    ascore_rows,
    checked_target,
    score_by_target,
    score_rows,
    shared_async_client,
    shared_client,
)
from mmreward.clients.scorer import AnyScorer
from mmreward.names import unknown_name
from mmreward.verifiers.registry import is_registered, verifier_names

log = logging.getLogger(__name__)

_FRAMEWORK_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer", "config"})
"""What verl itself may add to the call; none of it concerns scoring."""


@dataclass
class _Options:
    """reward_kwargs: a client (or the server's address and key), the target, its settings."""

    client: AnyScorer | None
    url: str | None
    api_key: str | None
    recipe: str | None
    verifier: str
    settings: dict[str, Any]

    @classmethod
    def of(cls, kwargs: Mapping[str, Any]) -> _Options:
        settings = {k: v for k, v in kwargs.items() if k not in _FRAMEWORK_KWARGS}
        return cls(
            client=settings.pop("client", None),
            url=settings.pop("url", None),
            api_key=settings.pop("api_key", None),
            recipe=settings.pop("recipe", None),
            verifier=settings.pop("verifier", "math"),
            settings=settings,
        )

    def check(self, client: Any) -> None:
        """A misspelled name in reward_kwargs raises on the first call, before any scoring
        (settings beside a recipe are left unused, as before)."""
        if self.recipe is None:
            checked_target(client, self.verifier, None, self.settings)
        else:
            checked_target(client, recipe=self.recipe)


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _refused(target: Target, size: int) -> list[Scored] | None:
    """A verifier named by samples' `extra_info` (data, not configuration) that does not exist:
    error items, and one warning per name with the known names."""
    if target.recipe is not None or is_registered(target.verifier):
        return None
    with _warned_lock:
        first = target.verifier not in _warned
        _warned.add(target.verifier)
    if first:
        log.warning(
            "extra_info names an %s; its samples score 0 with status error",
            unknown_name("verifier", target.verifier, verifier_names()),
        )
    return [Scored(0.0, "error", None, None) for _ in range(size)]


Sample = tuple[str, Any, Any]
"""(solution_str, ground_truth, extra_info), as verl passes them."""


def _prepared(
    samples: Sequence[Sample], kwargs: Mapping[str, Any], shared: Callable[..., AnyScorer]
) -> tuple[AnyScorer, list[Target], list[Row]]:
    """The client (given, else the process's shared one), and each sample's target (named by
    its `extra_info`, else by reward_kwargs) and row."""
    options = _Options.of(kwargs)
    client = options.client or shared(options.url, options.api_key)
    options.check(client)
    targets, rows = [], []
    for solution, truth, extra_info in samples:
        info = extra_info if isinstance(extra_info, Mapping) else {}
        recipe = info.get("recipe") or options.recipe
        verifier = str(info.get("verifier") or options.verifier)
        targets.append(Target(verifier, recipe, {} if recipe else options.settings))
        rows.append(
            Row(solution, truth, {f: info[f] for f in ROW_FIELDS if info.get(f) is not None})
        )
    return client, targets, rows


def _score(samples: Sequence[Sample], kwargs: Mapping[str, Any]) -> list[Scored]:
    client, targets, rows = _prepared(samples, kwargs, shared_client)

    def score(target: Target, group: list[Row]) -> list[Scored]:
        return _refused(target, len(group)) or score_rows(client, target, group)

    return score_by_target(targets, rows, score)


async def _ascore(samples: Sequence[Sample], kwargs: Mapping[str, Any]) -> list[Scored]:
    client, targets, rows = _prepared(samples, kwargs, shared_async_client)

    async def score(target: Target, group: list[Row]) -> list[Scored]:
        return _refused(target, len(group)) or await ascore_rows(client, target, group)

    return await ascore_by_target(targets, rows, score)


def verl_score(scored: Scored) -> dict[str, Any]:
    """verl logs every key of the dict beside `score`; every sample has the same keys. verl
    cannot skip a sample: one whose deadline passed before it was judged scores 0 and is
    counted apart in `deadline`, so a run can see (and fix) a server too slow for its batches."""
    return {
        **scored.parts,
        "score": scored.reward,
        "acc": bool(scored.correct),
        "deadline": scored.status == "deadline",
        "status": scored.status,
        "pred": scored.extracted or "",
    }


async def compute_score(
    data_source: Any = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """The reward loop's managers (naive, dapo, gdpo, rate_limited) await this per sample:
    `{"score", "acc", "status", "pred", <components>}`, on the worker's own event loop."""
    [scored] = await _ascore([(solution_str, ground_truth, extra_info)], kwargs)
    return verl_score(scored)


def compute_score_sync(
    data_source: Any = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Legacy naive/DAPO managers, which call a plain function on executor threads."""
    [scored] = _score([(solution_str, ground_truth, extra_info)], kwargs)
    return verl_score(scored)


def compute_score_batch(
    data_sources: Sequence[Any] = (),
    solution_strs: Sequence[str] = (),
    ground_truths: Sequence[Any] = (),
    extra_infos: Sequence[Any] | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Legacy batch manager: every sample of the step in one request."""
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    samples = list(zip(solution_strs, ground_truths, infos, strict=True))
    scores = [verl_score(s) for s in _score(samples, kwargs)]
    # The batch manager appends each key's values to one list per key: keys must not differ
    # between samples, even when their extra_info picks different recipes.
    keys = dict.fromkeys(k for score in scores for k in score)
    return [{k: score.get(k, 0.0) for k in keys} for score in scores]


def compute_score_float(
    data_source: Any = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Any = None,
    **kwargs: Any,
) -> float:
    """Legacy prime manager: it wants a bare float (a dict there turns every score into 0)."""
    [scored] = _score([(solution_str, ground_truth, extra_info)], kwargs)
    return scored.reward
