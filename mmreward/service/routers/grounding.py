"""`POST /v1/grounding/score`: rewards checked against what a detector finds in the image."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from mmreward.engine import Engine
from mmreward.grounding.items import GroundingItem
from mmreward.service.bodies import BoundedRoute
from mmreward.service.dependencies import get_engine
from mmreward.verifiers.verdict import Verdict

router = APIRouter(route_class=BoundedRoute, prefix="/v1/grounding", tags=["grounding"])


class GroundingRequest(BaseModel):
    items: list[GroundingItem] = Field(min_length=1, description="scored in order")


class GroundingResponse(BaseModel):
    results: list[Verdict]


@router.post("/score")
async def score(
    request: GroundingRequest,
    engine: Annotated[Engine, Depends(get_engine)],
) -> GroundingResponse:
    """One verdict per item: `hallucination`, `count` or `grounding`, with a breakdown."""
    return GroundingResponse(results=await engine.agrounding_score(request.items))
