"""AReaL (1.0): reward functions `f(prompt, completions, prompt_ids, completion_ids, **data)`.

AReaL's RLVR workflows call the reward function once per sample through `AsyncRewardWrapper`,
which pickles it into a `ProcessPoolExecutor` worker: so `AReaLReward` is a picklable object
holding only its settings, and each worker process scores through its own shared client (the
server at `url` / `$MMREWARD_URL`, else one in-process engine per process). Every column of
the dataset row arrives as a keyword (`answer` is the reference unless another column is
named). AReaL decodes `completions` with the special tokens kept: they are stripped before
judging. With `eos_token_id`, a completion whose ids do not end with it (or with one of
`stop_token_ids`) was cut at `max_new_tokens` and earns no answer reward. A sample the server
could not judge before its deadline raises: AReaL's wrapper retries it, never a 0 to train on.

`workflow_kwargs.reward_fn="mmreward.clients.areal.reward_fn"` (a string AReaL imports in the
rollout worker) scores with `MMREWARD_ADAPTER_VERIFIER` (default `math`) or
`MMREWARD_ADAPTER_RECIPE` through `MMREWARD_URL`; `MMREWARD_EOS_TOKEN_ID` turns on the
truncation check.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from mmreward.clients._adapt import (
    NO_VERDICT,
    ROW_FIELDS,
    NoVerdictError,
    Row,
    checked_target,
    env_choice,
    score_rows,
    shared_client,
    strip_special_tokens,
)
from mmreward.clients.scorer import AnyScorer


class AReaLReward:
    """A picklable AReaL reward function scoring with a verifier or a recipe."""

    def __init__(
        self,
        *,
        verifier: str = "math",
        recipe: str | None = None,
        url: str | None = None,
        api_key: str | None = None,
        answer_key: str = "answer",
        eos_token_id: int | None = None,
        stop_token_ids: Sequence[int] = (),
        client: AnyScorer | None = None,
        **params: Any,
    ) -> None:
        self.target = checked_target(client, verifier, recipe, params)
        self.url, self.api_key = url, api_key
        self.answer_key = answer_key
        self.stops = frozenset(
            [*([eos_token_id] if eos_token_id is not None else []), *stop_token_ids]
        )
        self.client = client

    def __getstate__(self) -> dict[str, Any]:
        """A client does not cross into AReaL's worker processes; each builds its own."""
        return {**self.__dict__, "client": None}

    def __call__(
        self,
        prompt: str,
        completions: str,
        prompt_ids: Sequence[int],
        completion_ids: Sequence[int],
        **data: Any,
    ) -> float:
        extra = {f: data[f] for f in ROW_FIELDS if data.get(f) is not None}
        extra.setdefault("prompt", strip_special_tokens(str(prompt)))
        extra.setdefault("question", extra["prompt"])
        if self.stops:
            ids = list(completion_ids)
            extra["truncated"] = not ids or ids[-1] not in self.stops
        row = Row(strip_special_tokens(str(completions)), data.get(self.answer_key), extra)
        client = self.client or shared_client(self.url, self.api_key)
        [scored] = score_rows(client, self.target, [row])
        if scored.status == NO_VERDICT:  # AReaL's wrapper retries an error, never a 0
            raise NoVerdictError("no verdict: the reward server's deadline passed first")
        return scored.reward


def _env_reward() -> AReaLReward:
    eos = os.environ.get("MMREWARD_EOS_TOKEN_ID")
    verifier, recipe = env_choice()
    return AReaLReward(verifier=verifier, recipe=recipe, eos_token_id=int(eos) if eos else None)


def reward_fn(
    prompt: str,
    completions: str,
    prompt_ids: Sequence[int],
    completion_ids: Sequence[int],
    answer: Any = None,
    **data: Any,
) -> float:
    """AReaL's documented signature, configured from the environment (see the module doc)."""
    return _env_reward()(prompt, completions, prompt_ids, completion_ids, answer=answer, **data)
