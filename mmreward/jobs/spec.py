"""What a relabeling job scores, from which columns, and what it keeps (pure, no I/O)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mmreward.grounding.items import GroundingTask
from mmreward.jobs.kinds import ITEM_FIELDS, JOB_KINDS, JobKind
from mmreward.prm.scorer import Aggregate
from mmreward.prm.steps import STEP_SEPARATOR


class RelabelSpec(BaseModel):
    """Everything that decides a job's output; a resumed run's checkpoint must hold the same."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capability: str = Field("verifier", description=f"one of {', '.join(JOB_KINDS)}")
    name: str = Field("math", description="verifier or recipe name; unused for prm/orm/grounding")
    params: dict[str, Any] = Field(default_factory=dict, description="verifier/recipe params")
    columns: dict[str, str] = Field(
        default_factory=dict, description="item field -> input column, for fields renamed"
    )
    output: str = Field("reward", min_length=1, description="prefix of the added columns")
    aggregate: Aggregate = "min"
    threshold: float = Field(0.5, ge=0, le=1, description="PRM step threshold (first_error)")
    step_separator: str = Field(
        STEP_SEPARATOR, min_length=1, description="PRM steps from a response"
    )
    task: GroundingTask = "hallucination"
    chunk_rows: int = Field(512, ge=1, le=1 << 20, description="rows per checkpointed part")
    pass_threshold: float | None = Field(
        None,
        allow_inf_nan=False,
        description="a row passes at reward >= this; 0.5 for prm/orm, 1.0 otherwise",
    )
    group_by: str | None = Field(None, description="prompt column: pass_rate and best-of-N")
    keep_best_of: int | None = Field(None, ge=1, description="keep the N best rows per group")
    min_reward: float | None = Field(
        None, allow_inf_nan=False, description="keep rows with reward >= this (NaN: none would)"
    )

    @model_validator(mode="after")
    def _check(self) -> RelabelSpec:
        if self.capability not in JOB_KINDS:
            raise ValueError(f"unknown job kind {self.capability!r}; one of {', '.join(JOB_KINDS)}")
        unknown = sorted(set(self.columns) - ITEM_FIELDS)
        if unknown:
            known = ", ".join(sorted(ITEM_FIELDS))
            raise ValueError(f"--map: unknown field(s) {', '.join(unknown)}; known: {known}")
        if self.params and not self.kind.takes_params:
            raise ValueError(
                "--param is for verifiers and grounding; a recipe's parameters live in its "
                "file (add files with --recipes DIR)"
            )
        if self.keep_best_of is not None and self.group_by is None:
            raise ValueError("--keep-best-of needs --group-by (the column naming the prompt)")
        return self

    def column(self, field: str) -> str:
        """The input column holding an item field."""
        return self.columns.get(field, field)

    @property
    def kind(self) -> JobKind:
        return JOB_KINDS[self.capability]

    def needed_columns(self) -> list[tuple[str, ...]]:
        """Columns every row must offer (each entry: one of these): required fields, every
        explicitly mapped one, the group column."""
        kind = self.kind
        needed: list[tuple[str, ...]] = [(self.column(f),) for f in kind.required]
        needed += [(self.column(f),) for f in kind.fields if f in self.columns]
        if kind.one_of and not set(kind.one_of) & set(self.columns):
            needed.append(tuple(self.column(f) for f in kind.one_of))
        if self.group_by is not None:
            needed.append((self.group_by,))
        return list(dict.fromkeys(needed))

    @property
    def passing(self) -> float:
        """The reward a row needs to count as solved (pass_rate, the summary's pass share)."""
        if self.pass_threshold is not None:
            return self.pass_threshold
        return self.kind.passing
