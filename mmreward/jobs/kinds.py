"""What a relabeling job can score: one entry per kind, and nothing else lists the kinds.

A kind names the engine's item model (its fields are what `--map` may rename), which of them a
row must have, how a row becomes an item, which engine method scores a chunk, which columns a
result adds and the reward at which a row counts as solved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mmreward.grounding.items import GroundingItem
from mmreward.items import RewardItem, VerifyItem, item_fields
from mmreward.jobs.rows import (
    Get,
    RowError,
    orm_columns,
    prm_columns,
    read_field,
    read_fields,
    recipe_columns,
    verdict_columns,
)
from mmreward.prm.items import ORMItem, PRMItem
from mmreward.prm.steps import split_steps

if TYPE_CHECKING:
    from mmreward.engine import Engine
    from mmreward.jobs.spec import RelabelSpec
    from mmreward.settings import Settings

Columns = dict[str, Any]


@dataclass(frozen=True)
class JobKind:
    model: type[BaseModel]
    """The engine's item: what `item` builds and the chunk is validated into."""
    fields: tuple[str, ...]
    """Item fields a column can fill (`--map FIELD=COLUMN`)."""
    required: tuple[str, ...]
    item: Callable[[Get, RelabelSpec], dict[str, Any]]
    score: Callable[[Engine, RelabelSpec, list[Any]], Sequence[Any]]
    columns: Callable[[RelabelSpec, Any], Columns]
    passing: float = 1.0
    """Default reward at which a row counts as solved (`--pass-threshold`)."""
    one_of: tuple[str, ...] = ()
    """Fields of which a row must have at least one."""
    model_backed: bool = False
    """Scores with a model: a Ray actor asks for a GPU by default."""
    check: Callable[[RelabelSpec, Settings], None] | None = None
    """Refuses a job that cannot run (an unknown name, no model) before any work."""
    takes_params: bool = False
    """`--param` settings reach the items (verifier and grounding settings)."""


def _verify_item(get: Get, spec: RelabelSpec) -> dict[str, Any]:
    item = read_fields(VerifyItem, _VERIFY_FIELDS, get, spec)
    return {"options": None, **item, "verifier": spec.name, "params": spec.params}


def _recipe_item(get: Get, spec: RelabelSpec) -> dict[str, Any]:
    return read_fields(RewardItem, _RECIPE_FIELDS, get, spec)


def _prm_item(get: Get, spec: RelabelSpec) -> dict[str, Any]:
    """The problem from `prompt` (else `problem`), the steps from `steps` (else the response
    split into steps, `mmreward.prm.steps`)."""
    steps, response = get("steps"), get("response")
    if steps is not None:
        chain = read_field(PRMItem, "steps", steps, spec.column("steps"))
    elif response is not None:
        text = read_field(RewardItem, "response", response, spec.column("response"))
        chain = split_steps(text, spec.step_separator)
    else:
        raise RowError(f"neither {spec.column('steps')!r} nor {spec.column('response')!r}")
    problem = ""
    for name in ("prompt", "problem"):
        if get(name) is not None:
            problem = read_field(PRMItem, "problem", get(name), spec.column(name))
            break
    return {"problem": problem, "steps": chain}


def _orm_item(get: Get, spec: RelabelSpec) -> dict[str, Any]:
    return read_fields(ORMItem, item_fields(ORMItem), get, spec)


def _grounding_item(get: Get, spec: RelabelSpec) -> dict[str, Any]:
    item = read_fields(GroundingItem, _GROUNDING_FIELDS, get, spec)
    return {**item, "task": spec.task, "params": spec.params}


def _check_verifier(spec: RelabelSpec, settings: Settings) -> None:
    from mmreward.verifiers.registry import get_verifier

    get_verifier(spec.name)


def _check_recipe(spec: RelabelSpec, settings: Settings) -> None:
    from mmreward.recipes import RecipeBook

    RecipeBook.load([settings.recipes_dir]).get(spec.name)


def _check_orm(spec: RelabelSpec, settings: Settings) -> None:
    from mmreward.jobs.formats import JobError

    if settings.orm_model is None:
        raise JobError("--orm needs an outcome reward model: pass --orm-model DIR")


_SETTINGS = frozenset({"verifier", "params", "task"})
_VERIFY_FIELDS = item_fields(VerifyItem, exclude=_SETTINGS)
_RECIPE_FIELDS = item_fields(RewardItem)
_GROUNDING_FIELDS = item_fields(GroundingItem, exclude=_SETTINGS)

JOB_KINDS: Mapping[str, JobKind] = {
    "verifier": JobKind(
        model=VerifyItem,
        fields=_VERIFY_FIELDS,
        required=("response", "reference"),
        item=_verify_item,
        score=lambda engine, spec, items: engine.verify(items),
        columns=verdict_columns,
        check=_check_verifier,
        takes_params=True,
    ),
    "recipe": JobKind(
        model=RewardItem,
        fields=_RECIPE_FIELDS,
        required=("response",),
        item=_recipe_item,
        score=lambda engine, spec, items: engine.reward(spec.name, items),
        columns=recipe_columns,
        check=_check_recipe,
    ),
    "prm": JobKind(
        model=PRMItem,
        fields=("prompt", *item_fields(PRMItem), "response"),
        required=(),
        one_of=("steps", "response"),
        item=_prm_item,
        score=lambda engine, spec, items: engine.prm_score(items, spec.aggregate, spec.threshold),
        columns=prm_columns,
        passing=0.5,
        model_backed=True,
    ),
    "orm": JobKind(
        model=ORMItem,
        fields=item_fields(ORMItem),
        required=item_fields(ORMItem),
        item=_orm_item,
        score=lambda engine, spec, items: engine.orm_score(items),
        columns=orm_columns,
        passing=0.5,
        model_backed=True,
        check=_check_orm,
    ),
    "grounding": JobKind(
        model=GroundingItem,
        fields=_GROUNDING_FIELDS,
        required=("image", "response"),
        item=_grounding_item,
        score=lambda engine, spec, items: engine.grounding_score(items),
        columns=verdict_columns,
        model_backed=True,
        takes_params=True,
    ),
}

ITEM_FIELDS = frozenset(name for kind in JOB_KINDS.values() for name in kind.fields)
