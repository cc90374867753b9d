"""Score one chunk of prepared rows through the engine and turn the results into columns.

The local runner and every Ray actor use this same class, so both give the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from mmreward.errors import MMRewardError
from mmreward.grounding.items import GroundingItem
from mmreward.items import VerifyItem
from mmreward.jobs.rows import (
    Prepared,
    error_columns,
    orm_columns,
    prm_columns,
    recipe_columns,
    verdict_columns,
)
from mmreward.jobs.spec import RelabelSpec
from mmreward.prm.items import ORMItem, PRMItem
from mmreward.recipes import RewardItem

if TYPE_CHECKING:
    from mmreward.engine import Engine

_ITEM_PLACE = re.compile(r"^items\[\d+\][.:]?\s*")
_Item = TypeVar("_Item", bound=BaseModel)
_Result = TypeVar("_Result")
Columns = dict[str, Any]


def _validation_reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "item"
    return f"{where}: {first['msg']}"


class ChunkScorer:
    """Columns for a chunk of rows: one engine call per chunk, per-row errors kept per row."""

    def __init__(self, spec: RelabelSpec, engine: Engine) -> None:
        self.spec = spec
        self.engine = engine

    def score(self, prepared: Sequence[Prepared], labels: Sequence[str]) -> list[Columns]:
        """`labels[i]` ("line 7") names the row in the reason of an item the engine refuses."""
        spec, engine = self.spec, self.engine
        if spec.capability == "verifier":
            return self._run(prepared, labels, VerifyItem, engine.verify, verdict_columns)
        if spec.capability == "recipe":
            return self._run(
                prepared,
                labels,
                RewardItem,
                lambda items: engine.reward(spec.name, items),
                recipe_columns,
            )
        if spec.capability == "prm":
            return self._run(
                prepared,
                labels,
                PRMItem,
                lambda items: engine.prm_score(
                    items, aggregate=spec.aggregate, threshold=spec.threshold
                ),
                prm_columns,
            )
        if spec.capability == "orm":
            return self._run(prepared, labels, ORMItem, engine.orm_score, orm_columns)
        return self._run(prepared, labels, GroundingItem, engine.grounding_score, verdict_columns)

    def _run(
        self,
        prepared: Sequence[Prepared],
        labels: Sequence[str],
        model: type[_Item],
        call: Callable[[list[_Item]], list[_Result]],
        columns: Callable[[RelabelSpec, _Result], Columns],
    ) -> list[Columns]:
        out: list[Columns | None] = [None] * len(prepared)
        items: list[_Item] = []
        where: list[int] = []
        for i, entry in enumerate(prepared):
            if isinstance(entry, str):
                out[i] = error_columns(self.spec, entry)
                continue
            try:
                items.append(model.model_validate(entry))
                where.append(i)
            except ValidationError as error:
                out[i] = error_columns(self.spec, f"{labels[i]}: {_validation_reason(error)}")
        scored = self._call_each(call, items, [labels[i] for i in where])
        for i, result in zip(where, scored, strict=True):
            if isinstance(result, dict):
                out[i] = result
            else:
                out[i] = self._labelled(columns(self.spec, result), labels[i])
        return [c if c is not None else error_columns(self.spec, "not scored") for c in out]

    def _labelled(self, columns: Columns, label: str) -> Columns:
        """An engine error names the item by its place in the call; the row label replaces it."""
        status, reason = f"{self.spec.output}_status", f"{self.spec.output}_reason"
        if columns.get(status) == "error":
            text = _ITEM_PLACE.sub("", str(columns.get(reason, "")), count=1)
            columns[reason] = f"{label}: {text}"
        return columns

    def _call_each(
        self,
        call: Callable[[list[_Item]], list[_Result]],
        items: list[_Item],
        labels: list[str],
    ) -> list[_Result | Columns]:
        """One call for the chunk; if the engine refuses the batch for one item's sake (a bad
        image), each item alone, so only the bad rows get an error verdict."""
        if not items:
            return []
        try:
            return list(call(items))
        except MMRewardError as error:
            if len(items) == 1:
                return [error_columns(self.spec, f"{labels[0]}: {error}")]
        results: list[_Result | Columns] = []
        for item, label in zip(items, labels, strict=True):
            try:
                results.extend(call([item]))
            except MMRewardError as error:
                results.append(error_columns(self.spec, f"{label}: {error}"))
        return results
