"""Adapters to the reward-function conventions of TRL, verl, OpenRLHF and EasyR1.

Each adapter turns a framework's call into `VerifyItem`s, sends them through any client with a
`verify(items)` method (HTTP or in-process) and shapes the verdicts the way the framework expects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from mmreward.items import VerifyItem
from mmreward.verifiers.verdict import Verdict

ABSTAIN = frozenset({"timeout", "error", "unparsable_reference"})
"""Statuses that say nothing about the policy's answer; TRL may skip them (reward None)."""


class VerifyingClient(Protocol):
    def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]: ...


class AsyncVerifyingClient(Protocol):
    async def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]: ...


def completion_text(completion: str | list[dict[str, Any]]) -> str:
    """TRL passes plain strings, or chat messages whose last assistant turn is the answer."""
    if isinstance(completion, str):
        return completion
    for message in reversed(completion):
        if message.get("role", "assistant") == "assistant":
            content = message.get("content", "")
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content)
    return ""


def _trl_items(
    completions: Sequence[Any], references: Sequence[Any], verifier: str, params: dict[str, Any]
) -> list[VerifyItem]:
    return [
        VerifyItem(verifier=verifier, response=completion_text(c), reference=r, params=params)
        for c, r in zip(completions, references, strict=True)
    ]


def _trl_rewards(verdicts: Sequence[Verdict], abstain: bool) -> list[float | None]:
    return [None if abstain and v.status in ABSTAIN else v.reward for v in verdicts]


def trl_reward_func(
    client: VerifyingClient,
    *,
    verifier: str = "math",
    reference_column: str = "solution",
    abstain: bool = False,
    **params: Any,
) -> Callable[..., list[float | None]]:
    """A TRL GRPOTrainer reward function: `f(prompts, completions, **columns)`.

    With `abstain=True`, timeouts and unparsable references give None, which TRL skips
    instead of counting them as wrong.
    """

    def reward(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float | None]:
        items = _trl_items(completions, columns[reference_column], verifier, params)
        return _trl_rewards(client.verify(items), abstain)

    reward.__name__ = f"mmreward_{verifier}"
    return reward


def async_trl_reward_func(
    client: AsyncVerifyingClient,
    *,
    verifier: str = "math",
    reference_column: str = "solution",
    abstain: bool = False,
    **params: Any,
) -> Callable[..., Any]:
    """The `async def` form, which TRL runs concurrently with other reward functions."""

    async def reward(
        prompts: list[Any], completions: list[Any], **columns: Any
    ) -> list[float | None]:
        items = _trl_items(completions, columns[reference_column], verifier, params)
        return _trl_rewards(await client.verify(items), abstain)

    reward.__name__ = f"mmreward_{verifier}"
    return reward


def verl_score(verdict: Verdict) -> dict[str, Any]:
    """verl logs every extra key of the dict it gets back next to `score`."""
    return {
        "score": verdict.reward,
        "acc": bool(verdict.correct),
        "status": verdict.status,
        "pred": verdict.extracted or "",
    }


_verl_client: VerifyingClient | None = None


def _default_client() -> VerifyingClient:
    """HTTP when MMREWARD_URL is set, else an in-process engine (created once per worker)."""
    global _verl_client
    if _verl_client is None:
        url = os.environ.get("MMREWARD_URL")
        if url:
            from mmreward.clients._http import RewardClient

            _verl_client = RewardClient(url)
        else:
            from mmreward.clients._local import LocalClient

            _verl_client = LocalClient()
    return _verl_client


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """verl's `custom_reward_function`: point `path` at this module, `name` at this function.

    The verifier is `extra_info["verifier"]` when given, else "math".
    """
    verifier = (extra_info or {}).get("verifier", "math")
    item = VerifyItem(verifier=verifier, response=solution_str, reference=ground_truth)
    [verdict] = _default_client().verify([item])
    return verl_score(verdict)


def openrlhf_response(query: str, prompt: str) -> str:
    """OpenRLHF sends prompt + response decoded together; the response is what follows."""
    return query[len(prompt) :] if query.startswith(prompt) else query


def openrlhf_rewards(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """The remote-reward answer: `rewards` for advantages, `scores` for dynamic filtering."""
    rewards = [v.reward for v in verdicts]
    return {
        "rewards": rewards,
        "scores": rewards,
        "extra_logs": {
            "accuracy": [1.0 if v.correct else 0.0 for v in verdicts],
            "timeouts": [1.0 if v.status == "timeout" else 0.0 for v in verdicts],
        },
    }
