"""Recipes from YAML/TOML files: the built-ins shipped in `builtin/`, then a user directory.

A user recipe with a built-in's name replaces it, so a deployment can retune `chart` without
renaming it in every training config.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from mmreward.capabilities import kinds_of
from mmreward.components import Kinds, find_kind
from mmreward.errors import InvalidInputError, NotFoundError
from mmreward.names import unknown_name
from mmreward.recipes.model import ComponentSpec, Recipe

BUILTIN_DIR = Path(__file__).with_name("builtin")
SUFFIXES = (".yaml", ".yml", ".toml")
MAX_FILE_BYTES = 1 << 20


def parse_recipe(data: Any, *, default_name: str = "", kinds: Kinds | None = None) -> Recipe:
    """Validate a recipe mapping, including each component's params against its kind.

    `kinds` defaults to every kind of `mmreward.capabilities.CAPABILITIES`.
    """
    kinds = kinds_of() if kinds is None else kinds
    if not isinstance(data, dict):
        raise InvalidInputError("a recipe must be a mapping with name, components")
    if default_name and "name" not in data:
        data = {**data, "name": default_name}
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as error:
        raise InvalidInputError(_first_errors(error)) from None
    for component in recipe.components:
        params = find_kind(kinds, component.kind).params
        try:
            params.model_validate(component.params)
        except ValidationError as error:
            where = f"component {component.name!r} ({component.kind})"
            reason = _first_errors(error, params)
            raise InvalidInputError(f"{where}: {reason}") from None
    return recipe


def load_recipe_file(path: Path, kinds: Kinds | None = None) -> Recipe:
    """One recipe per file; its name defaults to the file name without suffix."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInputError(f"{path}: recipe file larger than {MAX_FILE_BYTES} bytes")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise InvalidInputError(f"{path}: not valid {path.suffix[1:].upper()}: {error}") from None
    try:
        return parse_recipe(data, default_name=path.stem, kinds=kinds)
    except InvalidInputError as error:
        raise InvalidInputError(f"{path}: {error}") from None


def load_recipe_dir(directory: Path, kinds: Kinds | None = None) -> dict[str, Recipe]:
    """Every `*.yaml`, `*.yml` and `*.toml` file of `directory` (not recursive)."""
    if not directory.is_dir():
        raise InvalidInputError(f"recipes directory {directory} does not exist")
    recipes: dict[str, Recipe] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        recipe = load_recipe_file(path, kinds)
        if recipe.name in recipes:
            raise InvalidInputError(
                f"{path}: recipe {recipe.name!r} is defined twice in {directory}"
            )
        recipes[recipe.name] = recipe
    return recipes


class RecipeBook:
    """The recipes one server knows, by name."""

    def __init__(self, recipes: Mapping[str, Recipe]) -> None:
        self._recipes = dict(recipes)

    @classmethod
    def load(cls, extra_dirs: Iterable[Path | None] = (), kinds: Kinds | None = None) -> RecipeBook:
        """The built-ins, then each given directory in turn (later names replace earlier)."""
        kinds = kinds_of() if kinds is None else kinds
        recipes = load_recipe_dir(BUILTIN_DIR, kinds)
        for directory in extra_dirs:
            if directory is not None:
                recipes.update(load_recipe_dir(directory, kinds))
        return cls(recipes)

    def get(self, name: str) -> Recipe:
        try:
            return self._recipes[name]
        except KeyError:
            raise NotFoundError(unknown_name("recipe", name, self.names())) from None

    def names(self) -> list[str]:
        return sorted(self._recipes)

    def recipes(self) -> list[Recipe]:
        return [self._recipes[name] for name in self.names()]


def _first_errors(error: ValidationError, params: type[BaseModel] | None = None) -> str:
    """Pydantic's first messages; a misspelled key names the known ones. `params`: the error is
    a component's params, validated by that model."""
    parts = []
    for entry in error.errors()[:3]:
        loc, message = entry["loc"], entry["msg"].removeprefix("Value error, ")
        if entry["type"] == "extra_forbidden" and loc:
            if params is not None:
                what, model = "setting", params
            elif "components" in loc:
                what, model = "component key", ComponentSpec
            else:
                what, model = "recipe key", Recipe
            parts.append(unknown_name(what, str(loc[-1]), model.model_fields))
        elif loc:
            parts.append(f"{'.'.join(str(part) for part in loc)}: {message}")
        else:
            parts.append(message)
    return "; ".join(parts)
