"""EasyR1 reward function: `worker.reward.reward_function=/abs/path/to/easyr1.py:compute_score`.

EasyR1 loads a file (not a package path), reads `REWARD_TYPE`, and calls the function with a
list of `{"response", "response_length", "ground_truth"}` dicts plus the keyword arguments of
`worker.reward.reward_function_kwargs` (`verifier`, `recipe`, `url`, `api_key`, verifier
settings). Every value returned is averaged with `np.mean` for its logs, so the dicts hold
numbers only: `overall` and, for a recipe, each component's score. A ground truth that is a
mapping carries the recipe fields EasyR1 itself does not pass (`reference`, `image`,
`question`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mmreward.clients._adapt import (
    ROW_FIELDS,
    Row,
    Scored,
    checked_target,
    score_rows,
    shared_client,
)
from mmreward.clients.scorer import AnyScorer

REWARD_NAME = "mmreward"
REWARD_TYPE = "batch"


def _row(reward_input: Mapping[str, Any], max_response_length: int | None) -> Row:
    truth = reward_input.get("ground_truth")
    extra = {f: reward_input[f] for f in ROW_FIELDS if reward_input.get(f) is not None}
    if isinstance(truth, Mapping):
        extra.update({f: truth[f] for f in ROW_FIELDS if truth.get(f) is not None})
        truth = truth.get("reference")
    length = reward_input.get("response_length")
    extra.setdefault("response_length", length)
    if max_response_length is not None and isinstance(length, int | float):
        # EasyR1 says nothing else about a cut: a response that fills the whole budget is one.
        extra.setdefault("truncated", length >= max_response_length)
    return Row(str(reward_input.get("response", "")), truth, extra)


def easyr1_score(scored: Scored) -> dict[str, float]:
    """Numbers only: `overall`, `accuracy`, `abstained`, and each recipe component's score."""
    return {
        "accuracy": 1.0 if scored.correct else 0.0,
        "abstained": 1.0 if scored.abstained else 0.0,
        **scored.parts,
        "overall": scored.reward,
    }


def compute_score(
    reward_inputs: Sequence[Mapping[str, Any]],
    *,
    verifier: str = "math",
    recipe: str | None = None,
    url: str | None = None,
    api_key: str | None = None,
    client: AnyScorer | None = None,
    max_response_length: int | None = None,
    **params: Any,
) -> list[dict[str, float]]:
    """Score one EasyR1 batch with `verifier` (settings in `params`) or with `recipe`.

    With `max_response_length` (EasyR1's `data.max_response_length`), a response whose
    `response_length` reaches it was cut at the limit and earns no answer reward.
    """
    scorer = client or shared_client(url, api_key)
    target = checked_target(scorer, verifier, recipe, params)
    rows = [_row(reward_input, max_response_length) for reward_input in reward_inputs]
    return [easyr1_score(s) for s in score_rows(scorer, target, rows)]
