"""The contract between recipes and the capabilities that score their components.

A component kind is an async function scoring a whole batch plus the pydantic model of its
`params`, so a kind backed by a model batches on the accelerator and the verifier kinds send
sympy work through the engine's sandbox. `params` is validated when a recipe is loaded, so a
typo in a recipe file fails at server start rather than on the first request. This module
depends on nothing else in the package, so recipes and capabilities both build on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from mmreward.errors import InvalidInputError
from mmreward.items import RewardItem

if TYPE_CHECKING:
    from mmreward.engine import Engine


class ComponentScore(BaseModel):
    """What a component kind says about one item."""

    score: float
    details: dict[str, Any] = Field(default_factory=dict)


ScoreBatch = Callable[["Engine", Sequence[RewardItem], Any], Awaitable[list[ComponentScore]]]
"""(engine, items, validated params) -> one score per item, in order."""


@dataclass(frozen=True)
class ComponentKind:
    score: ScoreBatch
    params: type[BaseModel]


Kinds = Mapping[str, ComponentKind]


def find_kind(kinds: Kinds, name: str) -> ComponentKind:
    """The kind called `name`, or a 422 naming the known ones."""
    try:
        return kinds[name]
    except KeyError:
        known = ", ".join(sorted(kinds))
        raise InvalidInputError(f"unknown component kind {name!r}; known: {known}") from None
