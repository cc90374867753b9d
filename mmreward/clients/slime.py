"""slime (THUDM): `--custom-rm-path mmreward.clients.slime.reward`, or `.group_reward` with
`--group-rm`.

slime loads the path with `importlib` and awaits `f(args, sample)` once per sample, or
`f(args, samples)` once per group with `--group-rm` (one scoring call for the whole group). A
`Sample` carries `response`, `label` (the reference), `prompt` (text or chat messages),
`metadata` (a dict from the dataset) and `status`. What to score with comes from the
environment (`MMREWARD_ADAPTER_VERIFIER`, default `math`, or `MMREWARD_ADAPTER_RECIPE`;
`MMREWARD_URL` / `MMREWARD_API_KEY`, in-process when unset), and a sample's `metadata` may name
its own `verifier` or `recipe` and carry the fields a recipe reads (`question`, `steps`,
`options`, `image` as base64...). slime marks a response cut at the length limit
(`Sample.Status.TRUNCATED`): it earns no answer reward. A sample the server could not judge
before its deadline has no verdict: it gets reward 0 with `remove_sample` set, slime's own way
to keep a sample out of the loss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from mmreward.clients._adapt import (
    NO_VERDICT,
    ROW_FIELDS,
    Row,
    Scored,
    Target,
    ascore_by_target,
    ascore_rows,
    checked_target,
    env_choice,
    prompt_text,
    shared_async_client,
    strip_special_tokens,
)
from mmreward.clients.scorer import AnyScorer


def _truncated(sample: Any) -> bool:
    status = getattr(sample, "status", None)
    return str(getattr(status, "value", status)) == "truncated"


def sample_row(sample: Any) -> tuple[Row, Mapping[str, Any]]:
    """A slime `Sample` as a row, with its metadata (which may pick the target)."""
    metadata = getattr(sample, "metadata", None)
    metadata = metadata if isinstance(metadata, Mapping) else {}
    extra = {f: metadata[f] for f in ROW_FIELDS if metadata.get(f) is not None}
    prompt = prompt_text(getattr(sample, "prompt", ""))
    if prompt:
        extra.setdefault("prompt", prompt)
        extra.setdefault("question", prompt)
    extra["truncated"] = _truncated(sample)
    return Row(
        strip_special_tokens(str(getattr(sample, "response", "") or "")), sample.label, extra
    ), metadata


def env_target() -> Target:
    """The configured target; a misspelled verifier raises before any sample is scored."""
    return checked_target(None, *env_choice())


async def score_samples(samples: Sequence[Any], client: AnyScorer | None = None) -> list[Scored]:
    """Score slime samples, one call per target their metadata names."""
    default = env_target()
    scorer = client or shared_async_client()
    rows, targets = [], []
    for sample in samples:
        row, metadata = sample_row(sample)
        rows.append(row)
        verifier = str(metadata.get("verifier") or default.verifier)
        targets.append(Target(verifier=verifier, recipe=metadata.get("recipe") or default.recipe))
    return await ascore_by_target(targets, rows, partial(ascore_rows, scorer))


def _settled(sample: Any, scored: Scored) -> float:
    if scored.status == NO_VERDICT:
        sample.remove_sample = True
    return scored.reward


async def reward(args: Any, sample: Any, **kwargs: Any) -> float:
    """`--custom-rm-path mmreward.clients.slime.reward`: one sample."""
    [scored] = await score_samples([sample])
    return _settled(sample, scored)


async def group_reward(args: Any, samples: Sequence[Any], **kwargs: Any) -> list[float]:
    """`--custom-rm-path mmreward.clients.slime.group_reward --group-rm`: a whole group."""
    scored = await score_samples(samples)
    return [_settled(sample, s) for sample, s in zip(samples, scored, strict=True)]
