"""Input records shared by every door (HTTP, in-process client, relabeling jobs)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from mmreward.encodable import EncodableModel


class VerifyItem(EncodableModel):
    """One response to judge against its reference with a named verifier."""

    model_config = ConfigDict(extra="forbid")

    verifier: str = Field("math", max_length=64, description="registered verifier name")
    response: str = Field(description="the model's full response text")
    reference: Any = Field(None, description="ground truth: a string, number or list")
    options: list[str] | None = Field(
        None, max_length=64, description="answer choices of a multiple-choice item"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="verifier settings")
