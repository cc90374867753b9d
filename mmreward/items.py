"""Input records shared by every door (HTTP, in-process client, relabeling jobs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class VerifyItem(BaseModel):
    """One response to judge against its reference with a named verifier."""

    model_config = ConfigDict(extra="forbid")

    verifier: str = Field("math", max_length=64, description="registered verifier name")
    response: str = Field(description="the model's full response text")
    reference: Any = Field(None, description="ground truth: a string, number or list")
    options: list[str] | None = Field(
        None, max_length=64, description="answer choices of a multiple-choice item"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="verifier settings")


class RewardItem(BaseModel):
    """One response to score with a recipe.

    Fields beyond these (`prompt`, `steps`, `image`, ...) are kept for the component kinds that
    read them (`item.model_extra`).
    """

    model_config = ConfigDict(extra="allow")

    response: str = Field(description="the model's full response text")
    reference: Any = Field(None, description="ground truth for the accuracy component")
    options: list[str] | None = Field(
        None, max_length=64, description="answer choices of a multiple-choice item"
    )
    response_length: int | None = Field(
        None, ge=0, description="response length in tokens; estimated from characters if unset"
    )
    truncated: bool = Field(
        False,
        description="the response was cut at the generation length limit: accuracy and format "
        "score 0 (else a policy learns to run to the limit past a lenient verifier)",
    )
