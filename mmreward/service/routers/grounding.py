"""`POST /v1/grounding/score`: rewards checked against what a detector finds in the image."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mmreward.grounding.items import GroundingItem
from mmreward.service.bodies import BoundedRoute
from mmreward.service.dependencies import EngineDep
from mmreward.verifiers.verdict import Verdict

router = APIRouter(route_class=BoundedRoute, prefix="/v1/grounding", tags=["grounding"])


class GroundingRequest(BaseModel):
    items: list[GroundingItem] = Field(min_length=1, description="scored in order")


class GroundingResponse(BaseModel):
    results: list[Verdict]


@router.post("/score")
async def score(request: GroundingRequest, engine: EngineDep) -> GroundingResponse:
    """One verdict per item: `hallucination`, `count` or `grounding`, with a breakdown."""
    return GroundingResponse(results=await engine.agrounding_score(request.items))
