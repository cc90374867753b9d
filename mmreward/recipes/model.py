"""What a recipe is, what it scores, and what it returns."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mmreward.components import ComponentScore
from mmreward.items import RewardItem as RewardItem  # its home before it moved to `items`

MAX_COMPONENTS = 16


class ComponentSpec(BaseModel):
    """One weighted term of a recipe: a registered component kind with its parameters."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="registered component kind: accuracy, format, length, ...")
    name: str = Field("", max_length=64, description="key in the breakdown; defaults to kind")
    weight: float = 1.0
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("weight")
    @classmethod
    def _finite(cls, weight: float) -> float:
        if not math.isfinite(weight):
            raise ValueError("weight must be a finite number")
        return weight

    @model_validator(mode="after")
    def _default_name(self) -> ComponentSpec:
        if not self.name:
            self.name = self.kind
        return self


class Recipe(BaseModel):
    """A named weighted sum of components; the total is the sum of `weight * score`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    description: str = ""
    components: list[ComponentSpec] = Field(min_length=1, max_length=MAX_COMPONENTS)

    @model_validator(mode="after")
    def _unique_names(self) -> Recipe:
        names = [component.name for component in self.components]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"component names must be unique; repeated: {', '.join(duplicates)}")
        return self


class ComponentResult(ComponentScore):
    weight: float
    weighted: float


class RewardResult(BaseModel):
    """Total reward of one item and the terms it is the sum of."""

    reward: float
    components: dict[str, ComponentResult]
