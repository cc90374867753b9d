"""`POST /v1/reward/{recipe}`: a recipe's total reward per item with its per-component breakdown."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mmreward.recipes import Recipe, RewardItem, RewardResult
from mmreward.service.bodies import BoundedRoute
from mmreward.service.dependencies import EngineDep

router = APIRouter(route_class=BoundedRoute, prefix="/v1", tags=["reward"])


class RewardRequest(BaseModel):
    items: list[RewardItem] = Field(min_length=1, description="scored independently, in order")


class RewardResponse(BaseModel):
    recipe: str
    results: list[RewardResult]


class RecipeList(BaseModel):
    recipes: list[Recipe]


@router.get("/reward")
async def list_recipes(engine: EngineDep) -> RecipeList:
    """The recipes this server knows, with their components and weights."""
    return RecipeList(recipes=engine.recipe_list())


@router.post("/reward/{recipe}")
async def reward(recipe: str, request: RewardRequest, engine: EngineDep) -> RewardResponse:
    """Each item's `reward` is the sum of its components' `weighted` (= weight * score)."""
    results = await engine.areward(recipe, request.items)
    return RewardResponse(recipe=recipe, results=results)
