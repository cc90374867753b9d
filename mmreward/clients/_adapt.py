"""What every framework adapter shares: rows in, scores out, through any of the four clients.

A framework hands us responses with their ground truth and dataset columns; an adapter turns
them into `Row`s, and `score_rows` / `ascore_rows` send them to a verifier or a recipe through
`RewardClient`, `AsyncRewardClient`, `LocalClient` or `AsyncLocalClient` alike (a client whose
methods are coroutines is driven on a private event loop when the caller is synchronous).
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mmreward.clients.scorer import AnyScorer, AsyncScorer, Scorer
from mmreward.items import RewardItem, VerifyItem, item_fields
from mmreward.recipes.model import RewardResult
from mmreward.split import Split
from mmreward.verifiers.registry import check_verifier
from mmreward.verifiers.verdict import Verdict

_T = TypeVar("_T")

ABSTAIN = frozenset({"timeout", "deadline", "error", "unparsable_reference"})
"""Statuses that say nothing about the policy's answer; a framework may skip them."""
NO_VERDICT = "deadline"
"""The caller's deadline passed before the item was judged: never a 0 to train on."""

ROW_FIELDS = item_fields(RewardItem, exclude=frozenset({"response", "reference"}))
"""Dataset columns an adapter passes on: every field a recipe component reads."""


COMMON_SPECIAL_TOKENS = (
    "<|im_end|>",
    "<|endoftext|>",
    "</s>",
    "<eos>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<end_of_turn>",
    "<|end|>",
)
"""End-of-turn and end-of-text tokens of the common model families, stripped whatever the model."""


class NoVerdictError(RuntimeError):
    """The caller's deadline passed before the item was judged, where a framework has no
    "skip this sample" answer: an error it retries or records, never a 0 to train on."""


def strip_special_tokens(text: str, tokens: Sequence[str] = COMMON_SPECIAL_TOKENS) -> str:
    """A response decoded with its special tokens (AReaL, slime) as the text to judge."""
    for token in tokens:
        text = text.replace(token, "")
    return text.strip()


@dataclass(frozen=True)
class Target:
    """What to score with: one verifier (with its settings) or a named recipe."""

    verifier: str = "math"
    recipe: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.recipe or self.verifier


def checked_target(
    client: Any,
    verifier: str = "math",
    recipe: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Target:
    """The target an adapter is built with, its names checked now, before any scoring: an
    unknown verifier or verifier setting always (the list is in this package), an unknown
    recipe where the client is in-process (a server answers 404 on the first call)."""
    params = dict(params or {})
    if recipe is None:
        check_verifier(verifier, params)
        return Target(verifier=verifier, params=params)
    if params:
        raise ValueError("verifier settings do not apply to a recipe; put them in the recipe")
    engine = getattr(client, "engine", None)
    if engine is not None:
        engine.recipes.get(recipe)
    return Target(verifier=verifier, recipe=recipe)


@dataclass
class Row:
    """One response with its ground truth and whatever extra fields the framework gave."""

    response: str
    reference: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scored:
    """A reward with what a framework can log beside it (all components, weighted and not)."""

    reward: float
    status: str
    correct: bool | None
    extracted: str | None
    parts: dict[str, float] = field(default_factory=dict)
    weighted: dict[str, float] = field(default_factory=dict)

    @property
    def abstained(self) -> bool:
        return self.status in ABSTAIN


# -- values from frameworks ---------------------------------------------------------------------


def plain(value: Any) -> Any:
    """numpy scalars/arrays and torch tensors (verl's ground truths) as plain Python values."""
    if value is None or type(value) in (str, bool, int, float):
        return value
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays, tensors
    if callable(tolist):
        return plain(tolist())
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def image_base64(value: Any) -> Any:
    """A dataset image (PIL, bytes, `{"bytes": ...}`, an array, a list of them) as base64 PNG.

    Strings are passed on untouched (base64 or a data URI); anything else is left for the
    grounding component to refuse with a clear message.
    """
    if isinstance(value, list | tuple):
        return image_base64(value[0]) if value else None
    if isinstance(value, Mapping) and isinstance(value.get("bytes"), bytes):
        value = value["bytes"]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if hasattr(value, "__array_interface__") or hasattr(value, "save"):
        from PIL import Image

        from mmreward.grounding.images import encode_png

        return encode_png(value if hasattr(value, "save") else Image.fromarray(value))
    return value


def message_text(message: Any) -> str:
    """The text of a chat message's content (a string or a list of typed parts)."""
    content = message.get("content", "") if isinstance(message, Mapping) else message
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return str(content)


def prompt_text(prompt: Any) -> str:
    """A conversational prompt's last user turn (what a PRM or grounding question reads)."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, Sequence):
        for message in reversed(prompt):
            if isinstance(message, Mapping) and message.get("role", "user") == "user":
                return message_text(message)
    return ""


def env_choice() -> tuple[str, str | None]:
    """The verifier (default `math`) and recipe named by `MMREWARD_ADAPTER_VERIFIER` and
    `MMREWARD_ADAPTER_RECIPE`, for the adapters a framework loads by path."""
    return (
        os.environ.get("MMREWARD_ADAPTER_VERIFIER") or "math",
        os.environ.get("MMREWARD_ADAPTER_RECIPE") or None,
    )


# -- clients ------------------------------------------------------------------------------------


class _LoopThread:
    """One event loop on a daemon thread, for coroutine clients called from synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="mmreward-adapter", daemon=True).start()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


_state_lock = threading.Lock()
_loop_thread: _LoopThread | None = None
_shared: dict[tuple[str | None, str | None], Scorer] = {}
_shared_async: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str | None, str | None], AsyncScorer]
] = weakref.WeakKeyDictionary()


def _reset_after_fork() -> None:
    """A forked child (verl's prime manager) builds its own clients: pools and threads do not
    survive a fork, and a lock held at fork time would never be released."""
    global _state_lock, _loop_thread
    _state_lock = threading.Lock()
    _loop_thread = None
    _shared.clear()
    _shared_async.clear()


os.register_at_fork(after_in_child=_reset_after_fork)


def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a client method from synchronous code, whether it is a coroutine function or not."""
    global _loop_thread
    result = method(*args, **kwargs)
    if not isinstance(result, Awaitable):
        return result
    with _state_lock:
        if _loop_thread is None:
            _loop_thread = _LoopThread()
        runner = _loop_thread
    return runner.run(_awaited(result))


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


async def acall(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a client method from a coroutine: a blocking one goes to a worker thread."""
    if asyncio.iscoroutinefunction(method):
        return await method(*args, **kwargs)
    result = await asyncio.to_thread(method, *args, **kwargs)
    if isinstance(result, Awaitable):
        return await result
    return result


def shared_client(url: str | None = None, api_key: str | None = None) -> Scorer:
    """The process's client for `url` (default `$MMREWARD_URL`; in-process engine when unset).

    Built once per process under a lock: verl's naive manager calls from several executor
    threads at once, and each extra engine would start its own sandbox workers.
    """
    key = url, api_key = _resolved(url, api_key)
    with _state_lock:
        client = _shared.get(key)
        if client is None:
            if url:
                from mmreward.clients._http import RewardClient

                client = RewardClient(url, api_key=api_key)
            else:
                from mmreward.clients._local import LocalClient

                client = LocalClient()
            _shared[key] = client
    return client


def _resolved(url: str | None, api_key: str | None) -> tuple[str | None, str | None]:
    return (
        url or os.environ.get("MMREWARD_URL") or None,
        api_key or os.environ.get("MMREWARD_API_KEY") or None,
    )


def shared_async_client(url: str | None = None, api_key: str | None = None) -> AsyncScorer:
    """The running event loop's coroutine client for `url` (as `shared_client` resolves it).

    An `AsyncRewardClient`'s connection pool belongs to the loop that opened it, so there is
    one per loop (a framework's reward worker runs one loop for its life); in-process, every
    loop's `AsyncLocalClient` wraps the process's one engine.
    """
    url, api_key = _resolved(url, api_key)
    loop = asyncio.get_running_loop()
    with _state_lock:
        clients = _shared_async.setdefault(loop, {})
        client = clients.get((url, api_key))
    if client is not None:
        return client
    if url:
        from mmreward.clients._http import AsyncRewardClient

        client = AsyncRewardClient(url, api_key=api_key)
    else:
        from mmreward.clients._local import AsyncLocalClient, LocalClient

        local = shared_client()
        assert isinstance(local, LocalClient)  # no URL here, so none for `shared_client`
        client = AsyncLocalClient(engine=local.engine)
    with _state_lock:
        return clients.setdefault((url, api_key), client)


# -- scoring ------------------------------------------------------------------------------------


def verify_item(target: Target, row: Row) -> VerifyItem:
    return VerifyItem(
        verifier=target.verifier,
        response=row.response,
        reference=plain(row.reference),
        options=plain(row.extra.get("options")),
        params=dict(target.params),
        truncated=plain(row.extra.get("truncated")) or False,
    )


def reward_item(row: Row) -> RewardItem:
    extra = {k: plain(v) for k, v in row.extra.items() if v is not None and k != "image"}
    if row.extra.get("image") is not None:
        extra["image"] = image_base64(row.extra["image"])
    return RewardItem(response=row.response, reference=plain(row.reference), **extra)


def from_verdict(verdict: Verdict) -> Scored:
    return Scored(verdict.reward, verdict.status, verdict.correct, verdict.extracted)


def from_result(result: RewardResult | Mapping[str, Any]) -> Scored:
    if not isinstance(result, RewardResult):
        result = RewardResult.model_validate(result)
    status, correct, extracted = "ok", None, None
    for part in result.components.values():
        part_status = part.details.get("status")
        if isinstance(part_status, str) and part_status != "ok" and status == "ok":
            status = part_status
        if "correct" in part.details and correct is None:
            correct = part.details["correct"]
            extracted = part.details.get("extracted")
    return Scored(
        reward=result.reward,
        status=status,
        correct=correct,
        extracted=extracted,
        parts={name: part.score for name, part in result.components.items()},
        weighted={name: part.weighted for name, part in result.components.items()},
    )


def failed(reason: str) -> Scored:
    """A row no item can be made of (a value of the wrong type): 0, status `error`."""
    return Scored(0.0, "error", None, None)


def score_rows(client: AnyScorer, target: Target, rows: Sequence[Row]) -> list[Scored]:
    """Score rows from synchronous code; one result per row, in order."""
    if target.recipe is None:
        judged = Split.made(rows, lambda row: verify_item(target, row))
        return judged.score(
            lambda items: [from_verdict(v) for v in call(client.verify, items)], failed
        )
    recipe = target.recipe
    scored = Split.made(rows, reward_item)
    return scored.score(
        lambda items: [from_result(r) for r in call(client.reward, recipe, items)], failed
    )


async def ascore_rows(client: AnyScorer, target: Target, rows: Sequence[Row]) -> list[Scored]:
    """Score rows from a coroutine without blocking its event loop."""
    if target.recipe is None:
        judged = Split.made(rows, lambda row: verify_item(target, row))

        async def verify(items: list[VerifyItem]) -> list[Scored]:
            return [from_verdict(v) for v in await acall(client.verify, items)]

        return await judged.ascore(verify, failed)
    recipe = target.recipe

    async def reward(items: list[RewardItem]) -> list[Scored]:
        return [from_result(r) for r in await acall(client.reward, recipe, items)]

    return await Split.made(rows, reward_item).ascore(reward, failed)


def _by_target(targets: Sequence[Target]) -> list[tuple[Target, list[int]]]:
    """Row indices grouped by the target each row names, in order of first appearance."""
    groups: dict[str, tuple[Target, list[int]]] = {}
    for i, target in enumerate(targets):
        groups.setdefault(repr(target), (target, []))[1].append(i)
    return list(groups.values())


def score_by_target(
    targets: Sequence[Target],
    rows: Sequence[Row],
    score: Callable[[Target, list[Row]], list[Scored]],
) -> list[Scored]:
    """Rows whose framework names a target per row (verl's `extra_info`, slime's metadata):
    one `score(target, rows)` call per target, the results back in the rows' order."""
    scored: dict[int, Scored] = {}
    for target, indices in _by_target(targets):
        scored.update(zip(indices, score(target, [rows[i] for i in indices]), strict=True))
    return [scored[i] for i in range(len(rows))]


async def ascore_by_target(
    targets: Sequence[Target],
    rows: Sequence[Row],
    score: Callable[[Target, list[Row]], Awaitable[list[Scored]]],
) -> list[Scored]:
    """`score_by_target` from a coroutine."""
    scored: dict[int, Scored] = {}
    for target, indices in _by_target(targets):
        scored.update(zip(indices, await score(target, [rows[i] for i in indices]), strict=True))
    return [scored[i] for i in range(len(rows))]


_taken: dict[str, str] = {}


def unique_name(base: str, identity: str) -> str:
    """`base`, or `base_2`, `base_3`... when this process already gave `base` to a function
    that scores differently (`identity`): frameworks key their logged metrics by function
    name, so two different functions must not merge, and the same function built again (a
    notebook cell run twice) must keep its name, or dashboards split across rebuilds."""
    with _state_lock:
        name, n = base, 1
        while _taken.setdefault(name, identity) != identity:
            n += 1
            name = f"{base}_{n}"
        return name
