"""What a relabeling job can score: one entry per kind, and nothing else lists the kinds.

A kind names the engine's item model (its fields are what `--map` may rename, less those the
job itself sets), which of them a row must have, the engine method that scores a chunk, the
columns a result adds and the reward at which a row counts as solved.
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
_FROM_JOB = frozenset({"verifier", "params", "task"})


@dataclass(frozen=True)
class JobKind:
    model: type[BaseModel]
    """The engine's item, which a chunk's rows are validated into."""
    score: Callable[[Engine, RelabelSpec, list[Any]], Sequence[Any]]
    columns: Callable[[RelabelSpec, Any], Columns]
    required: tuple[str, ...] = ("response",)
    job_fields: Callable[[RelabelSpec], dict[str, Any]] = lambda spec: {}
    """Item fields the job sets for every row (the verifier's name, `--param` settings), and
    defaults a row's own value replaces."""
    item: Callable[[Get, RelabelSpec], dict[str, Any]] | None = None
    """A row's item when it is more than its fields read one by one."""
    also: tuple[str, ...] = ()
    """Fields a row may fill beyond the model's own (read by `item`)."""
    one_of: tuple[str, ...] = ()
    """Fields of which a row must have at least one."""
    passing: float = 1.0
    """Default reward at which a row counts as solved (`--pass-threshold`)."""
    model_backed: bool = False
    """Scores with a model: a Ray actor asks for a GPU by default."""
    check: Callable[[RelabelSpec, Settings], None] = lambda spec, settings: None
    """Refuses a job that cannot run (an unknown name, no model) before any work."""

    @property
    def fields(self) -> tuple[str, ...]:
        """Item fields a column can fill (`--map FIELD=COLUMN`)."""
        return (*item_fields(self.model, exclude=_FROM_JOB), *self.also)

    @property
    def takes_params(self) -> bool:
        """`--param` settings reach the items."""
        return "params" in self.model.model_fields

    def build(self, get: Get, spec: RelabelSpec) -> dict[str, Any]:
        read = (
            self.item(get, spec) if self.item else read_fields(self.model, self.fields, get, spec)
        )
        return {**self.job_fields(spec), **read}


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
    prompt = next((name for name in ("prompt", "problem") if get(name) is not None), None)
    problem = read_field(PRMItem, "problem", get(prompt), spec.column(prompt)) if prompt else ""
    return {"problem": problem, "steps": chain}


def _check_verifier(spec: RelabelSpec, settings: Settings) -> None:
    """An unknown verifier or verifier setting, named with the known ones, before any work."""
    from mmreward.verifiers.registry import check_verifier

    check_verifier(spec.name, spec.params)


def _check_recipe(spec: RelabelSpec, settings: Settings) -> None:
    from mmreward.recipes import RecipeBook

    RecipeBook.load([settings.recipes_dir]).get(spec.name)


def _check_orm(spec: RelabelSpec, settings: Settings) -> None:
    from mmreward.jobs.formats import JobError

    if settings.orm_model is None:
        raise JobError("--orm needs an outcome reward model: pass --orm-model DIR")


JOB_KINDS: Mapping[str, JobKind] = {
    "verifier": JobKind(
        VerifyItem,
        lambda engine, spec, items: engine.verify(items),
        verdict_columns,
        required=("response", "reference"),
        job_fields=lambda spec: {"verifier": spec.name, "params": spec.params, "options": None},
        check=_check_verifier,
    ),
    "recipe": JobKind(
        RewardItem,
        lambda engine, spec, items: engine.reward(spec.name, items),
        recipe_columns,
        check=_check_recipe,
    ),
    "prm": JobKind(
        PRMItem,
        lambda engine, spec, items: engine.prm_score(items, spec.aggregate, spec.threshold),
        prm_columns,
        passing=0.5,
        model_backed=True,
        required=(),
        item=_prm_item,
        also=("prompt", "response"),
        one_of=("steps", "response"),
    ),
    "orm": JobKind(
        ORMItem,
        lambda engine, spec, items: engine.orm_score(items),
        orm_columns,
        required=("prompt", "response"),
        check=_check_orm,
        passing=0.5,
        model_backed=True,
    ),
    "grounding": JobKind(
        GroundingItem,
        lambda engine, spec, items: engine.grounding_score(items),
        verdict_columns,
        required=("image", "response"),
        job_fields=lambda spec: {"task": spec.task, "params": spec.params},
        model_backed=True,
    ),
}

ITEM_FIELDS = frozenset(name for kind in JOB_KINDS.values() for name in kind.fields)
