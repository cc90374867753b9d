"""Score one chunk of prepared rows through the engine and turn the results into columns.

The local runner and every Ray actor use this same class, so both give the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError

from mmreward.errors import InvalidInputError, MMRewardError
from mmreward.jobs.kinds import Columns
from mmreward.jobs.rows import Prepared, error_columns
from mmreward.jobs.spec import RelabelSpec
from mmreward.split import Split, error_reason

if TYPE_CHECKING:
    from mmreward.engine import Engine

_ITEM_PLACE = re.compile(r"^items\[\d+\][.:]?\s*")
_Kept = tuple[str, BaseModel]


class ChunkScorer:
    """Columns for a chunk of rows: one engine call per chunk, per-row errors kept per row."""

    def __init__(self, spec: RelabelSpec, engine: Engine) -> None:
        self.spec = spec
        self.engine = engine

    def score(self, prepared: Sequence[Prepared], labels: Sequence[str]) -> list[Columns]:
        """`labels[i]` ("line 7") names the row in the reason of an item the engine refuses."""
        spec, kind = self.spec, self.spec.kind

        def item(entry: tuple[Prepared, str]) -> _Kept:
            prepared, label = entry
            if isinstance(prepared, str):
                raise InvalidInputError(prepared)
            try:
                return label, kind.model.model_validate(prepared)
            except ValidationError as error:
                raise InvalidInputError(f"{label}: {error_reason(error)}") from None

        def columns(kept: list[_Kept]) -> list[Columns]:
            try:
                results = kind.score(self.engine, spec, [model for _, model in kept])
            except MMRewardError as error:  # the whole chunk: an unknown recipe, no model
                return [error_columns(spec, f"{label}: {error}") for label, _ in kept]
            return [
                self._labelled(kind.columns(spec, result), label)
                for (label, _), result in zip(kept, results, strict=True)
            ]

        split = Split.made(zip(prepared, labels, strict=True), item)
        return split.score(columns, lambda reason: error_columns(spec, reason))

    def _labelled(self, columns: Columns, label: str) -> Columns:
        """An engine error names the item by its place in the call; the row label replaces it."""
        status, reason = f"{self.spec.output}_status", f"{self.spec.output}_reason"
        if columns.get(status) == "error":
            text = _ITEM_PLACE.sub("", str(columns.get(reason, "")), count=1)
            columns[reason] = f"{label}: {text}"
        return columns
