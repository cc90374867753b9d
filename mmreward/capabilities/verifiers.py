"""Component kinds: the named scorers a recipe can weigh.

A kind is an async function scoring a whole batch, so a kind backed by a model (PRM, grounding)
batches on the accelerator and the verifier kinds send sympy work through the engine's sandbox.
Other capabilities add theirs with `@register_component("prm", params=PrmParams)` in their own
module; `params` (a pydantic model) is validated when a recipe is loaded, so a typo in a recipe
file fails at server start rather than on the first request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mmreward.errors import InvalidInputError, UnknownVerifierError
from mmreward.items import VerifyItem
from mmreward.recipes.model import ComponentScore, RewardItem
from mmreward.verifiers.format import SPECS
from mmreward.verifiers.length import CHARS_PER_TOKEN, overlong_penalty, response_length
from mmreward.verifiers.registry import get_verifier

if TYPE_CHECKING:
    from mmreward.engine import Engine

ScoreBatch = Callable[["Engine", Sequence[RewardItem], Any], Awaitable[list[ComponentScore]]]
"""(engine, items, validated params) -> one score per item, in order."""


@dataclass(frozen=True)
class ComponentKind:
    score: ScoreBatch
    params: type[BaseModel]


_KINDS: dict[str, ComponentKind] = {}


def register_component(kind: str, *, params: type[BaseModel]) -> Callable[[ScoreBatch], ScoreBatch]:
    """Make `kind` usable in recipes; `params` validates the component's `params` mapping."""

    def decorate(score: ScoreBatch) -> ScoreBatch:
        _KINDS[kind] = ComponentKind(score=score, params=params)
        return score

    return decorate


def get_component_kind(kind: str) -> ComponentKind:
    try:
        return _KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(_KINDS))
        raise InvalidInputError(f"unknown component kind {kind!r}; known: {known}") from None


def component_kinds() -> list[str]:
    return sorted(_KINDS)


class AccuracyParams(BaseModel):
    """`verifier` picks the verifier; every other key is passed to it as a verifier setting."""

    model_config = ConfigDict(extra="allow")

    verifier: str = "math"

    @model_validator(mode="after")
    def _known_verifier(self) -> AccuracyParams:
        try:
            get_verifier(self.verifier)
        except UnknownVerifierError as error:
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


@register_component("accuracy", params=AccuracyParams)
async def _accuracy(
    engine: Engine, items: Sequence[RewardItem], params: AccuracyParams
) -> list[ComponentScore]:
    settings = dict(params.model_extra or {})
    return await _verified(engine, items, params.verifier, settings)


@register_component("format", params=FormatParams)
async def _format(
    engine: Engine, items: Sequence[RewardItem], params: FormatParams
) -> list[ComponentScore]:
    return await _verified(engine, items, "format", params.model_dump())


@register_component("length", params=LengthParams)
async def _length(
    engine: Engine, items: Sequence[RewardItem], params: LengthParams
) -> list[ComponentScore]:
    scores = []
    for item in items:
        length = response_length(item.response, item.response_length, params.chars_per_token)
        penalty = overlong_penalty(length.tokens, params.max_len, params.cache_len)
        details = {"length": length.tokens, "length_source": length.source}
        scores.append(ComponentScore(score=penalty, details=details))
    return scores


async def _verified(
    engine: Engine, items: Sequence[RewardItem], verifier: str, settings: dict[str, Any]
) -> list[ComponentScore]:
    """Verifier components go through the engine: its cache, metrics and sympy sandbox."""
    batch = [
        VerifyItem(
            verifier=verifier,
            response=item.response,
            reference=item.reference,
            options=item.options,
            params=settings,
        )
        for item in items
    ]
    verdicts = await engine.averify(batch)
    return [
        ComponentScore(score=verdict.reward, details=verdict.model_dump(exclude={"reward"}))
        for verdict in verdicts
    ]
