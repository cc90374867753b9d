"""`POST /v1/verify`: outcome verifiers over a batch of items."""

from __future__ import annotations

from fastapi import APIRouter

from mmreward.service.bodies import BoundedRoute
from mmreward.service.dependencies import EngineDep
from mmreward.service.schemas import VerifyRequest, VerifyResponse

router = APIRouter(route_class=BoundedRoute, prefix="/v1", tags=["verify"])


@router.post("/verify")
async def verify(request: VerifyRequest, engine: EngineDep) -> VerifyResponse:
    """Judge each item; results come back in request order, one verdict per item."""
    return VerifyResponse(results=await engine.averify(request.items))
