"""`POST /v1/prm/score` (process reward) and `POST /v1/orm/score` (outcome reward model)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mmreward.prm.items import ORMItem, ORMResult, PRMItem, PRMResult
from mmreward.prm.scorer import Aggregate
from mmreward.service.bodies import BoundedRoute
from mmreward.service.dependencies import EngineDep

router = APIRouter(route_class=BoundedRoute, tags=["reward models"])


class PRMScoreRequest(BaseModel):
    items: list[PRMItem] = Field(min_length=1, description="scored in order")
    aggregate: Aggregate = Field("min", description="how `score` sums up the step scores")
    threshold: float = Field(0.5, ge=0, le=1, description="a step below it is an error")


class PRMScoreResponse(BaseModel):
    results: list[PRMResult]


class ORMScoreRequest(BaseModel):
    items: list[ORMItem] = Field(min_length=1, description="scored in order")


class ORMScoreResponse(BaseModel):
    results: list[ORMResult]


@router.post("/v1/prm/score")
async def prm_score(request: PRMScoreRequest, engine: EngineDep) -> PRMScoreResponse:
    """Per-step scores, their aggregate and the first error (ProcessBench convention).

    An item the model cannot score (no steps, longer than its window) carries `error`.
    """
    scored = await engine.aprm_score(request.items, request.aggregate, request.threshold)
    return PRMScoreResponse(results=scored)


@router.post("/v1/orm/score")
async def orm_score(request: ORMScoreRequest, engine: EngineDep) -> ORMScoreResponse:
    """Raw score and sigmoid reward from a sequence-classification reward model."""
    return ORMScoreResponse(results=await engine.aorm_score(request.items))
