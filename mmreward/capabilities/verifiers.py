"""The verifier capability's recipe kinds: `accuracy`, `format` and `length`.

`accuracy` and `format` go through `Engine.averify`, so recipe items share the verdict cache,
the item metrics, the sympy sandbox and the truncation rule with `/v1/verify`; `length` is
arithmetic on the item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mmreward.components import ComponentKind, ComponentScore, Scoring
from mmreward.errors import InvalidInputError, UnknownVerifierError
from mmreward.items import RewardItem, VerifyItem
from mmreward.verifiers.format import SPECS
from mmreward.verifiers.length import CHARS_PER_TOKEN, overlong_penalty, response_length
from mmreward.verifiers.registry import check_verifier


class AccuracyParams(BaseModel):
    """`verifier` picks the verifier; every other key is passed to it as a verifier setting,
    and must be one it takes (`tolerence` for `tolerance` is refused when the recipe loads)."""

    model_config = ConfigDict(extra="allow")

    verifier: str = "math"

    @model_validator(mode="after")
    def _known_verifier(self) -> AccuracyParams:
        try:
            check_verifier(self.verifier, self.model_extra)
        except (UnknownVerifierError, InvalidInputError) as error:
            raise ValueError(str(error)) from None
        return self


class FormatParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: str = Field("think_answer", description=f"one of {', '.join(SPECS)}")
    think_opened: bool = False

    @model_validator(mode="after")
    def _known_spec(self) -> FormatParams:
        if self.spec not in SPECS:
            raise ValueError(f"unknown format spec {self.spec!r}; known: {', '.join(SPECS)}")
        return self


class LengthParams(BaseModel):
    """DAPO's soft overlong punishment; DAPO itself used max_len 20480 and cache_len 4096."""

    model_config = ConfigDict(extra="forbid")

    max_len: int = Field(gt=0, description="tokens at which the penalty reaches -1")
    cache_len: int = Field(ge=0, description="width of the linear ramp before max_len")
    chars_per_token: float = Field(
        CHARS_PER_TOKEN, gt=0, description="estimate when an item has no response_length"
    )

    @model_validator(mode="after")
    def _buffer_fits(self) -> LengthParams:
        if self.cache_len > self.max_len:
            raise ValueError("cache_len must not exceed max_len")
        return self


async def _accuracy(
    scoring: Scoring, items: Sequence[RewardItem], params: AccuracyParams
) -> list[ComponentScore]:
    settings = dict(params.model_extra or {})
    return await _verified(scoring, items, params.verifier, settings)


async def _format(
    scoring: Scoring, items: Sequence[RewardItem], params: FormatParams
) -> list[ComponentScore]:
    return await _verified(scoring, items, "format", params.model_dump())


async def _length(
    scoring: Scoring, items: Sequence[RewardItem], params: LengthParams
) -> list[ComponentScore]:
    scores = []
    for item in items:
        length = response_length(item.response, item.response_length, params.chars_per_token)
        penalty = overlong_penalty(length.tokens, params.max_len, params.cache_len)
        details: dict[str, Any] = {"length": length.tokens, "length_source": length.source}
        details["note"] = (
            f"a penalty: 0 up to {params.max_len - params.cache_len} tokens, "
            f"down to -1 at {params.max_len}; it never adds reward"
        )
        scores.append(ComponentScore(score=penalty, details=details))
    return scores


async def _verified(
    scoring: Scoring, items: Sequence[RewardItem], verifier: str, settings: dict[str, Any]
) -> list[ComponentScore]:
    """Verifier components go through the engine: its cache, metrics, sympy sandbox and its
    rule for a truncated response (0, unjudged)."""
    batch = [
        VerifyItem(
            verifier=verifier,
            response=item.response,
            reference=item.reference,
            options=item.options,
            params=settings,
            truncated=item.truncated,
        )
        for item in items
    ]
    verdicts = await scoring.averify(batch) if batch else []
    return [ComponentScore.of_verdict(verdict) for verdict in verdicts]


VERIFIER_KINDS = {
    "accuracy": ComponentKind(score=_accuracy, params=AccuracyParams),
    "format": ComponentKind(score=_format, params=FormatParams),
    "length": ComponentKind(score=_length, params=LengthParams),
}
