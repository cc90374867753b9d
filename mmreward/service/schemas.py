"""Request and response bodies of the HTTP API (the contract of DESIGN.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mmreward.items import VerifyItem
from mmreward.verifiers.verdict import Verdict


class VerifyRequest(BaseModel):
    items: list[VerifyItem] = Field(min_length=1, description="judged independently, in order")


class VerifyResponse(BaseModel):
    results: list[Verdict]
