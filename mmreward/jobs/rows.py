"""Rows to engine items, engine results to reward columns (pure, no I/O).

An item is a plain JSON-able dict so that it travels unchanged to a Ray actor; a row that cannot
become one yields its reason instead, and the job writes an error verdict for it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mmreward.prm.items import ORMResult, PRMResult
from mmreward.recipes.model import RewardResult
from mmreward.verifiers.verdict import Verdict

if TYPE_CHECKING:
    from mmreward.jobs.spec import RelabelSpec

Prepared = dict[str, Any] | str
"""An item ready for the engine, or why the row has none."""

RAW_LINE = "_raw_line"
"""Column keeping the text of a JSONL line that is not a JSON object, so no input is lost."""


class RowError(ValueError):
    """A row whose value cannot become an item; the message names the column."""


def _text(value: Any, column: str) -> str:
    """A string, or the joined contents of a chat-message list (TRL conversational format)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(m, Mapping) for m in value):
        contents = [m.get("content") for m in value]
        if all(isinstance(c, str) for c in contents):
            return "\n".join(c for c in contents if isinstance(c, str))
    raise RowError(f"column {column!r} is not text (got {type(value).__name__})")


def _strings(value: Any, column: str) -> list[str]:
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        return list(value)
    raise RowError(f"column {column!r} is not a list of strings")


def _image(value: Any, column: str) -> str:
    """Base64 text as given; raw bytes, or a Hugging Face Image struct {bytes, path}, encoded."""
    if isinstance(value, Mapping):
        value = value.get("bytes")
    if isinstance(value, str) and value:
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return base64.b64encode(value).decode("ascii")
    raise RowError(f"column {column!r} holds no image (base64 text or bytes)")


Get = Callable[[str], Any]
"""An item field's value in the row (read from its `--map` column), or None."""


def read_field(model: type[BaseModel], name: str, value: Any, column: str) -> Any:
    """A row's value for an item field, in the type the item model declares: text fields take
    a chat-message list too, list-of-text fields must be lists of strings, an image may be
    bytes; anything else goes to the model as it is (it validates it)."""
    if name == "image":
        return _image(value, column)
    annotation = model.model_fields[name].annotation
    if annotation in (str, str | None):
        return _text(value, column)
    if annotation in (list[str], list[str] | None):
        return _strings(value, column)
    return value


def read_fields(
    model: type[BaseModel], fields: Sequence[str], get: Get, spec: RelabelSpec
) -> dict[str, Any]:
    """Every field of `fields` the row has a value for, read as `model` declares it."""
    item: dict[str, Any] = {}
    for name in fields:
        value = get(name)
        if value is not None:
            item[name] = read_field(model, name, value, spec.column(name))
    return item


def prepare(row: Mapping[str, Any], spec: RelabelSpec, label: str) -> Prepared:
    """The item for one row; `label` ("line 7", "row 7") prefixes the reason of a bad row."""
    kind = spec.kind
    try:
        for field in kind.required:
            if row.get(spec.column(field)) is None:
                raise RowError(f"column {spec.column(field)!r} is missing")
        return kind.build(lambda field: row.get(spec.column(field)), spec)
    except RowError as error:
        return f"{label}: {error}"


def _columns(
    spec: RelabelSpec, reward: float, status: str, reason: str, **parts: Any
) -> dict[str, Any]:
    """The reward, its status and reason, then `<output>_<part>` for each part."""
    p = spec.output
    return {
        p: reward,
        f"{p}_status": status,
        f"{p}_reason": reason,
        **{f"{p}_{name}": value for name, value in parts.items()},
    }


def error_columns(spec: RelabelSpec, reason: str) -> dict[str, Any]:
    """Reward 0 and the reason, for a row that could not be scored."""
    return _columns(spec, 0.0, "error", reason)


def verdict_columns(spec: RelabelSpec, verdict: Verdict) -> dict[str, Any]:
    extracted = verdict.extracted
    return _columns(
        spec,
        verdict.reward,
        verdict.status,
        verdict.reason,
        correct=verdict.correct,
        extracted=extracted,
    )


def recipe_columns(spec: RelabelSpec, result: RewardResult) -> dict[str, Any]:
    """Total, then each component's unweighted score; a component's own error is the reason."""
    parts = result.components
    errors = [
        f"{n}: {p.details['error']}"
        for n, p in parts.items()
        if isinstance(p.details.get("error"), str)
    ]
    scores = {name: part.score for name, part in parts.items()}
    return _columns(spec, result.reward, "error" if errors else "ok", "; ".join(errors), **scores)


def prm_columns(spec: RelabelSpec, result: PRMResult) -> dict[str, Any]:
    status = "error" if result.error else "ok"
    steps = {"step_scores": result.step_scores, "first_error": result.first_error}
    return _columns(spec, result.score, status, result.error or "", **steps)


def orm_columns(spec: RelabelSpec, result: ORMResult) -> dict[str, Any]:
    status = "error" if result.error else "ok"
    return _columns(spec, result.reward, status, result.error or "", score=result.score)
