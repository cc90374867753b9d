"""verl `custom_reward_function`s: per sample, batched, and a float form for the prime manager.

Point verl at `custom_reward_function.path=pkg://mmreward.clients.adapters` (works from any
directory; an absolute file path works too) and `name=` one of these functions. Settings come
from `custom_reward_function.reward_kwargs` (`verifier`, `recipe`, `url`, `api_key`, and any
verifier setting), then from the sample's `extra_info` (`verifier`, `recipe`, and the fields a
recipe reads: `image`, `question`, `prompt`, `steps`, `options`, ...). Without `url` and
`$MMREWARD_URL` the process scores in-process, with one engine per process however many
threads call at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mmreward.clients._adapt import ROW_FIELDS, Row, Scored, Target, score_rows, shared_client

_FRAMEWORK_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer", "config"})
"""What verl itself may add to the call; none of it concerns scoring."""


def _split(kwargs: Mapping[str, Any]) -> tuple[Any, str | None, str, dict[str, Any]]:
    """(client, recipe, verifier, verifier settings) from reward_kwargs."""
    settings = {k: v for k, v in kwargs.items() if k not in _FRAMEWORK_KWARGS}
    client = settings.pop("client", None)
    url, api_key = settings.pop("url", None), settings.pop("api_key", None)
    recipe = settings.pop("recipe", None)
    verifier = settings.pop("verifier", "math")
    return client or shared_client(url, api_key), recipe, verifier, settings


def _row(solution: str, ground_truth: Any, extra_info: Any) -> tuple[Row, Mapping[str, Any]]:
    info = extra_info if isinstance(extra_info, Mapping) else {}
    extra = {f: info[f] for f in ROW_FIELDS if info.get(f) is not None}
    return Row(solution, ground_truth, extra), info


def _score(
    solutions: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> list[Scored]:
    """Samples are grouped by the target their `extra_info` names, one call per target."""
    client, recipe, verifier, settings = _split(kwargs)
    groups: dict[tuple[str, str | None], list[int]] = {}
    rows = []
    for i, (solution, truth, info) in enumerate(
        zip(solutions, ground_truths, extra_infos, strict=True)
    ):
        row, fields = _row(solution, truth, info)
        rows.append(row)
        key = (str(fields.get("verifier") or verifier), fields.get("recipe") or recipe)
        groups.setdefault(key, []).append(i)
    scored: list[Scored | None] = [None] * len(rows)
    for (group_verifier, group_recipe), indices in groups.items():
        target = Target(group_verifier, group_recipe, {} if group_recipe else settings)
        results = score_rows(client, target, [rows[i] for i in indices])
        for i, result in zip(indices, results, strict=True):
            scored[i] = result
    return [s for s in scored if s is not None]


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


def compute_score(
    data_source: Any = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Naive/DAPO manager: one sample -> `{"score", "acc", "status", "pred", <components>}`."""
    [scored] = _score([solution_str], [ground_truth], [extra_info], kwargs)
    return verl_score(scored)


def compute_score_batch(
    data_sources: Sequence[Any] = (),
    solution_strs: Sequence[str] = (),
    ground_truths: Sequence[Any] = (),
    extra_infos: Sequence[Any] | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Batch manager: every sample of the step in one request."""
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    scores = [
        verl_score(s) for s in _score(list(solution_strs), list(ground_truths), infos, kwargs)
    ]
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
    """Prime manager: it wants a bare float (a dict there turns every score into 0)."""
    [scored] = _score([solution_str], [ground_truth], [extra_info], kwargs)
    return scored.reward
