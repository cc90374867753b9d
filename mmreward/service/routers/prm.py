"""`POST /v1/prm/score` (process reward) and `POST /v1/orm/score` (outcome reward model)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from mmreward.engine import Engine
from mmreward.errors import ModelNotLoadedError
from mmreward.prm.orm import ORMItem
from mmreward.prm.scorer import Aggregate, PRMItem
from mmreward.service.dependencies import check_item_count, get_engine, get_settings
from mmreward.settings import Settings

router = APIRouter(tags=["reward models"])


class PRMScoreItem(BaseModel):
    problem: str = Field(description="the question the steps answer")
    steps: list[str] = Field(min_length=1, description="reasoning steps, in order")


class PRMScoreRequest(BaseModel):
    items: list[PRMScoreItem] = Field(min_length=1, description="scored in order")
    aggregate: Aggregate = Field("min", description="how `score` sums up the step scores")
    threshold: float = Field(0.5, ge=0, le=1, description="a step below it is an error")


class PRMScoreResult(BaseModel):
    step_scores: list[float] = Field(description="probability that each step is correct")
    score: float = Field(description="the step scores aggregated as requested")
    first_error: int = Field(description="first step below the threshold, -1 if none")
    truncated: bool = Field(description="the problem was cut from the left to fit the model")


class PRMScoreResponse(BaseModel):
    results: list[PRMScoreResult]


class ORMScoreItem(BaseModel):
    prompt: str
    response: str


class ORMScoreRequest(BaseModel):
    items: list[ORMScoreItem] = Field(min_length=1, description="scored in order")


class ORMScoreResult(BaseModel):
    score: float = Field(description="the model's raw score (logit)")
    reward: float = Field(description="sigmoid of the raw score, in [0, 1]")
    truncated: bool = Field(description="the prompt was cut from the left to fit the model")


class ORMScoreResponse(BaseModel):
    results: list[ORMScoreResult]


@router.post("/v1/prm/score")
async def prm_score(
    request: PRMScoreRequest,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> PRMScoreResponse:
    """Per-step scores, their aggregate and the first error (ProcessBench convention)."""
    check_item_count(len(request.items), settings)
    items = [PRMItem(it.problem, it.steps) for it in request.items]
    scored = await engine.prm.score_async(items, request.aggregate, request.threshold)
    return PRMScoreResponse(results=[PRMScoreResult(**vars(s)) for s in scored])


@router.post("/v1/orm/score")
async def orm_score(
    request: ORMScoreRequest,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> ORMScoreResponse:
    """Raw score and sigmoid reward from a sequence-classification reward model."""
    if engine.orm is None:
        raise ModelNotLoadedError(
            "no outcome reward model on this server; start it with --orm-model"
        )
    check_item_count(len(request.items), settings)
    items = [ORMItem(it.prompt, it.response) for it in request.items]
    scored = await engine.orm.score_async(items)
    return ORMScoreResponse(results=[ORMScoreResult(**vars(s)) for s in scored])
