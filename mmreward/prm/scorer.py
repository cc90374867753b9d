"""Process reward scoring: per-step probabilities, an aggregate and the first error."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from mmreward.errors import InvalidInputError
from mmreward.prm.batched import BatchedScorer
from mmreward.prm.config import PRMFormat, PRMOptions
from mmreward.prm.encoding import Encoded
from mmreward.prm.items import PRMItem, PRMResult
from mmreward.prm.metrics import first_error
from mmreward.prm.served import BatchingOptions, ServedModel

if TYPE_CHECKING:
    from mmreward.prm.loading import LoadedPRM

Aggregate = Literal["min", "prod", "mean", "last"]
AGGREGATES: tuple[Aggregate, ...] = ("min", "prod", "mean", "last")
MAX_STEPS = 512
MAX_ITEM_CHARS = 1 << 20


def aggregate(scores: Sequence[float], how: Aggregate = "min") -> float:
    """One number for a chain: the weakest step (min), all steps right (prod), mean, or last."""
    if not scores:
        raise InvalidInputError("no steps to aggregate")
    if how == "min":
        return min(scores)
    if how == "prod":
        return math.prod(scores)
    if how == "mean":
        return sum(scores) / len(scores)
    if how == "last":
        return scores[-1]
    raise InvalidInputError(f"unknown aggregate {how!r}; one of {', '.join(AGGREGATES)}")


def _check(item: PRMItem) -> None:
    if not item.steps:
        raise InvalidInputError("no steps")
    if len(item.steps) > MAX_STEPS:
        raise InvalidInputError(f"{len(item.steps)} steps, at most {MAX_STEPS}")
    if len(item.problem) + sum(len(s) for s in item.steps) > MAX_ITEM_CHARS:
        raise InvalidInputError(f"over {MAX_ITEM_CHARS} characters")


PREFIX_CHARS_PER_TOKEN = 8
"""How much of the steps' text is tokenized to see whether they can fit: a token covers at
least one character, typically ~4 (more in runs of spaces)."""


def _check_steps_fit(model: LoadedPRM, steps: Sequence[str]) -> None:
    """Refuse steps too long for the window after tokenizing a bounded prefix of them.

    Refusing only after tokenizing everything cost 20.6 s of CPU for a request of 1,024 items
    over the limit (16 KB each); here a refused item costs at most `PREFIX_CHARS_PER_TOKEN`
    characters per token of the window. Steps whose prefix fits are encoded as usual, which
    decides exactly."""
    text = "".join(steps)
    prefix = text[: PREFIX_CHARS_PER_TOKEN * model.max_tokens]
    if len(prefix) == len(text):
        return
    tokens = len(model.tokenizer(prefix, add_special_tokens=False)["input_ids"])
    if tokens > model.max_tokens + 1:  # the cut may split one token in two
        raise InvalidInputError(
            f"the steps alone take over {model.max_tokens} tokens, the model's limit; "
            "send fewer or shorter steps"
        )


class PRMScorer(BatchedScorer[PRMItem, "LoadedPRM"]):
    """A PRM checkpoint behind the token-budget batcher; loads on first use."""

    def __init__(
        self,
        path: Path | None = None,
        prm_format: PRMFormat | None = None,
        *,
        device: str = "auto",
        options: PRMOptions | None = None,
        batching: BatchingOptions | None = None,
        compile_model: bool = False,
    ) -> None:
        def load() -> LoadedPRM:
            from mmreward.prm.loading import load_prm  # torch + transformers: import on first use

            return load_prm(
                path, prm_format, device=device, options=options, compile_model=compile_model
            )

        what = f"the PRM at {path}" if path is not None else "the bundled PRM"
        served: ServedModel[LoadedPRM] = ServedModel(
            load, batching or BatchingOptions(), name="prm-batcher", what=what
        )
        super().__init__(served, path)

    def _encode(self, model: LoadedPRM, item: PRMItem) -> Encoded:
        _check(item)
        _check_steps_fit(model, item.steps)
        return model.encode(item.problem, item.steps)

    def score(
        self, items: Sequence[PRMItem], how: Aggregate = "min", threshold: float = 0.5
    ) -> list[PRMResult]:
        """Blocking scoring for batch jobs; the first item that cannot be scored raises."""
        return self._score_all(items, partial(_result, how=how, threshold=threshold))

    def score_each(
        self, items: Sequence[PRMItem], how: Aggregate = "min", threshold: float = 0.5
    ) -> list[PRMResult]:
        """Blocking scoring where an item that cannot be scored (no steps, steps longer than
        the model's window) carries its error while the rest are scored."""
        finish = partial(_result, how=how, threshold=threshold)
        return self._score_each(items, finish, PRMResult.failed)

    async def ascore_each(
        self, items: Sequence[PRMItem], how: Aggregate = "min", threshold: float = 0.5
    ) -> list[PRMResult]:
        """`score_each` from an event loop: tokenization in a worker thread, forwards batched.

        A reward for a batch of generated completions must not fail because one is degenerate.
        """
        finish = partial(_result, how=how, threshold=threshold)
        return await self._ascore_each(items, finish, PRMResult.failed)


def _result(enc: Encoded, raw: object, how: Aggregate, threshold: float) -> PRMResult:
    step_scores = cast(list[float], raw)
    return PRMResult(
        step_scores=step_scores,
        score=aggregate(step_scores, how),
        first_error=first_error(step_scores, threshold),
        truncated=enc.truncated,
    )
