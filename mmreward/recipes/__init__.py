"""Reward recipes: named weighted combinations of components, declared in YAML/TOML files.

The component kinds a recipe can name come from `mmreward.capabilities`.
"""

from mmreward.capabilities import kinds_of
from mmreward.components import ComponentKind, ComponentScore
from mmreward.items import RewardItem
from mmreward.recipes.evaluate import evaluate_recipe, refused_reward
from mmreward.recipes.loading import RecipeBook, load_recipe_file, parse_recipe
from mmreward.recipes.model import ComponentResult, ComponentSpec, Recipe, RewardResult

__all__ = [
    "ComponentKind",
    "ComponentResult",
    "ComponentScore",
    "ComponentSpec",
    "Recipe",
    "RecipeBook",
    "RewardItem",
    "RewardResult",
    "component_kinds",
    "evaluate_recipe",
    "load_recipe_file",
    "parse_recipe",
    "refused_reward",
]


def component_kinds() -> list[str]:
    """Names of every component kind a recipe can use."""
    return sorted(kinds_of())
