"""Input records shared by every door (HTTP, in-process client, relabeling jobs, adapters).

Each door's list of item fields (an adapter's dataset columns, a relabeling job's `--map`) is
read from these models (`item_fields`), so a field added here reaches every door.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_TRUNCATED = (
    "the response was cut at the generation length limit: accuracy and format score 0 (else a "
    "policy learns to run to the limit past a lenient verifier)"
)


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
    truncated: bool = Field(False, description=_TRUNCATED)


class RewardItem(BaseModel):
    """One response to score with a recipe, with every field a component kind reads.

    accuracy and format read `response`, `reference`, `options` and `truncated`; length reads
    `response_length`; prm reads `prompt` (or `problem`) and `steps`; orm reads `prompt`;
    grounding reads `image`, `question`, `grounding_reference` and `grounding_task`. Other
    fields are kept and read by none.
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
    truncated: bool = Field(False, description=_TRUNCATED)
    prompt: str | None = Field(None, description="the prompt: the PRM's problem, the ORM's input")
    problem: str | None = Field(None, description="the PRM's problem when `prompt` is unset")
    steps: list[str] | None = Field(
        None, description="the PRM's steps; unset, the response split at the step separator"
    )
    image: str | None = Field(
        None, description="base64 PNG or JPEG for the grounding component; never a URL"
    )
    question: str | None = Field(None, description="names what grounding counts or locates")
    grounding_reference: Any = Field(
        None, description="grounding ground truth (`reference` belongs to accuracy)"
    )
    grounding_task: Literal["hallucination", "count", "grounding"] | None = Field(
        None, description="this item's grounding reward, instead of the recipe's task"
    )


def item_fields(
    model: type[BaseModel], *, exclude: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """The declared fields of an item model, in declaration order, less `exclude`."""
    return tuple(name for name in model.model_fields if name not in exclude)
