"""Score a batch of items with a recipe: every component over the whole batch, then the sums."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from mmreward.components import Kinds, Scoring, find_kind
from mmreward.items import RewardItem
from mmreward.recipes.model import ComponentResult, Recipe, RewardResult


async def evaluate_recipe(
    scoring: Scoring, kinds: Kinds, recipe: Recipe, items: Sequence[RewardItem]
) -> list[RewardResult]:
    """Components run concurrently (a PRM on the accelerator while sympy runs in the sandbox).

    Each item's reward is exactly the sum of its components' `weighted` values, in recipe order.
    """
    jobs = []
    for component in recipe.components:
        kind = find_kind(kinds, component.kind)
        jobs.append(kind.score(scoring, items, kind.params.model_validate(component.params)))
    batches = await asyncio.gather(*jobs)
    results = []
    for index in range(len(items)):
        parts = {}
        for component, scores in zip(recipe.components, batches, strict=True):
            score = scores[index]
            parts[component.name] = ComponentResult(
                score=score.score,
                weight=component.weight,
                weighted=component.weight * score.score,
                details=score.details,
            )
        total = sum(part.weighted for part in parts.values())
        results.append(RewardResult(reward=total, components=parts))
    return results


def refused_reward(recipe: Recipe, reason: str) -> RewardResult:
    """An item no component can read (text that is not valid Unicode): 0 from every component."""
    error = {"status": "error", "reason": reason}
    return RewardResult(
        reward=0.0,
        components={
            c.name: ComponentResult(score=0.0, weight=c.weight, weighted=0.0, details=error)
            for c in recipe.components
        },
    )
