"""Reward recipes: named weighted combinations of components, declared in YAML/TOML files."""

from mmreward.recipes.evaluate import evaluate_recipe
from mmreward.recipes.kinds import ComponentKind, component_kinds, register_component
from mmreward.recipes.loading import RecipeBook, load_recipe_file, parse_recipe
from mmreward.recipes.model import (
    ComponentResult,
    ComponentScore,
    ComponentSpec,
    Recipe,
    RewardItem,
    RewardResult,
)

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
    "register_component",
]
