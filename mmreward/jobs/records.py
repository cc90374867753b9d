"""Mapping dataset records to items and verdicts back onto records (pure, no I/O)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mmreward.items import VerifyItem
from mmreward.verifiers.verdict import Verdict


class RelabelSpec(BaseModel):
    """Which columns hold what, and where the verdict goes."""

    verifier: str = "math"
    response_field: str = "response"
    reference_field: str = "reference"
    options_field: str = "options"
    output_field: str = "reward"
    params: dict[str, Any] = Field(default_factory=dict)


def item_from_record(record: dict[str, Any], spec: RelabelSpec) -> VerifyItem:
    """A record missing its response is judged as an empty response (no_answer), not skipped."""
    response = record.get(spec.response_field)
    options = record.get(spec.options_field)
    return VerifyItem(
        verifier=spec.verifier,
        response=response if isinstance(response, str) else "",
        reference=record.get(spec.reference_field),
        options=options if isinstance(options, list) else None,
        params=spec.params,
    )


def annotate(record: dict[str, Any], verdict: Verdict, spec: RelabelSpec) -> dict[str, Any]:
    """The record with `<output_field>` (the reward) and `<output_field>_verdict` added."""
    return {
        **record,
        spec.output_field: verdict.reward,
        f"{spec.output_field}_verdict": verdict.model_dump(),
    }
