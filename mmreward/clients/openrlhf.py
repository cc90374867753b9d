"""OpenRLHF: the remote reward protocol's shapes, and `reward_func` for a `.py` reward URL.

OpenRLHF's `query` is `decode(prompt_ids + response_ids, skip_special_tokens=False)`: the chat
template and the EOS token are in it, and when the prompt was cut from the left to fit
`max_len` the query no longer starts with the prompt text. So the response is located first
(after the prompt, else after the chat template's last assistant marker; never the prompt
itself), then stripped of special tokens, and only then judged. A response that cannot be
located is an `error` item with reward 0 rather than a judgement of prompt text.

`--reward.remote_url /path/to/mmreward/clients/openrlhf.py` loads this file and calls
`reward_func` in-process; it reads `MMREWARD_URL`/`MMREWARD_API_KEY` (score on a server;
in-process engine when unset), `MMREWARD_ADAPTER_VERIFIER` (default `math`) or
`MMREWARD_ADAPTER_RECIPE`, and `MMREWARD_POLICY_TOKENIZER` (the policy's tokenizer directory:
its special tokens, assistant marker and EOS).
"""

# No `from __future__ import annotations`: OpenRLHF executes this file as a module it does not
# register in `sys.modules`, where dataclasses cannot resolve string annotations.
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mmreward.clients._adapt import (
    COMMON_SPECIAL_TOKENS,
    Row,
    Scored,
    Target,
    ascore_rows,
    checked_target,
    env_choice,
    failed,
    score_rows,
    shared_client,
)
from mmreward.clients.scorer import AnyScorer
from mmreward.errors import InvalidInputError, ModelNotLoadedError
from mmreward.split import Split

COMMON_ASSISTANT_MARKERS = (
    "<|im_start|>assistant\n",
    "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "<start_of_turn>model\n",
    "<|assistant|>\n",
    "<｜Assistant｜>",
    "[/INST]",
)
"""Where the assistant turn starts in ChatML/Qwen, Llama 3, Gemma, Phi, DeepSeek and Mistral."""


@dataclass(frozen=True)
class QueryFormat:
    """The special tokens to strip and the markers that open the assistant's turn."""

    special_tokens: tuple[str, ...] = COMMON_SPECIAL_TOKENS
    assistant_markers: tuple[str, ...] = COMMON_ASSISTANT_MARKERS
    eos_token: str | None = None
    """Known only from the policy's tokenizer; a query not ending with it was cut at the
    length limit, and its answer earns nothing."""


@lru_cache(maxsize=8)
def query_format(tokenizer_dir: str | None = None) -> QueryFormat:
    """The common tokens and markers, plus the given tokenizer's own (read from local files)."""
    if not tokenizer_dir:
        return QueryFormat()
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelNotLoadedError(
            f"policy tokenizer {tokenizer_dir!r} cannot be loaded: {error}"
        ) from error
    specials = [t for t in tokenizer.all_special_tokens if t and t not in COMMON_SPECIAL_TOKENS]
    markers = list(COMMON_ASSISTANT_MARKERS)
    if getattr(tokenizer, "chat_template", None):
        marker = _generation_marker(tokenizer)
        if marker:
            markers.insert(0, marker)
    return QueryFormat(
        special_tokens=(*COMMON_SPECIAL_TOKENS, *specials),
        assistant_markers=tuple(markers),
        eos_token=tokenizer.eos_token or None,
    )


def _generation_marker(tokenizer: Any) -> str:
    """What `add_generation_prompt=True` appends to a conversation: the assistant's opening."""
    messages = [{"role": "user", "content": "x"}]
    closed = tokenizer.apply_chat_template(messages, tokenize=False)
    opened = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if isinstance(opened, str) and isinstance(closed, str) and opened.startswith(closed):
        return opened[len(closed) :].strip(" ")
    return ""


def locate_response(query: str, prompt: str, fmt: QueryFormat | None = None) -> str | None:
    """The response inside an OpenRLHF query, stripped of special tokens; None if not found."""
    fmt = fmt or QueryFormat()
    if prompt and query.startswith(prompt):
        response = query[len(prompt) :]
    else:
        cuts = [query.rfind(m) + len(m) for m in fmt.assistant_markers if m in query]
        if not cuts:
            return None
        response = query[max(cuts) :]
    for token in fmt.special_tokens:
        response = response.replace(token, "")
    return response.strip()


def rows(
    queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], fmt: QueryFormat
) -> list[Row | None]:
    """One row per located response, None where the response could not be found."""
    located: list[Row | None] = []
    for query, prompt, label in zip(queries, prompts, labels, strict=True):
        response = locate_response(query, prompt, fmt)
        if response is None:
            located.append(None)
            continue
        extra: dict[str, Any] = {"prompt": prompt}
        if fmt.eos_token:
            extra["truncated"] = not query.rstrip().endswith(fmt.eos_token)
        located.append(Row(response, label, extra))
    return located


def _found(row: Row | None) -> Row:
    if row is None:
        raise InvalidInputError("the response was not found in the query")
    return row


def score_located(client: AnyScorer, target: Target, located: Sequence[Row | None]) -> list[Scored]:
    """Score the rows whose response was found, through any client; the others score 0 as
    errors."""
    found = Split.made(located, _found)
    return found.score(lambda found_rows: score_rows(client, target, found_rows), failed)


async def ascore_located(
    client: AnyScorer, target: Target, located: Sequence[Row | None]
) -> list[Scored]:
    """`score_located` from a coroutine."""
    found = Split.made(located, _found)
    return await found.ascore(lambda found_rows: ascore_rows(client, target, found_rows), failed)


def openrlhf_rewards(scored: Sequence[Scored]) -> dict[str, Any]:
    """The remote-reward answer: `rewards` for advantages, `scores` for dynamic filtering, and
    numeric `extra_logs` (OpenRLHF turns each into a tensor and logs its mean)."""
    rewards = [s.reward for s in scored]
    logs: dict[str, list[float]] = {
        "accuracy": [1.0 if s.correct else 0.0 for s in scored],
        "timeouts": [1.0 if s.status == "timeout" else 0.0 for s in scored],
        "deadlines": [1.0 if s.status == "deadline" else 0.0 for s in scored],
        "errors": [1.0 if s.status == "error" else 0.0 for s in scored],
        "truncated": [1.0 if s.status == "truncated" else 0.0 for s in scored],
    }
    for part in scored[0].parts if scored else ():
        logs[part] = [s.parts.get(part, 0.0) for s in scored]
    return {"rewards": rewards, "scores": rewards, "extra_logs": logs}


def reward_func(
    queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any
) -> dict[str, Any]:
    """OpenRLHF's in-process reward hook (`--reward.remote_url path/to/this/file.py`)."""
    fmt = query_format(os.environ.get("MMREWARD_POLICY_TOKENIZER") or None)
    client = shared_client()
    target = checked_target(client, *env_choice())
    located = rows(queries, prompts, labels, fmt)
    return openrlhf_rewards(score_located(client, target, located))
