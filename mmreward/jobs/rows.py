"""Rows to engine items, engine results to reward columns (pure, no I/O).

An item is a plain JSON-able dict so that it travels unchanged to a Ray actor; a row that cannot
become one yields its reason instead, and the job writes an error verdict for it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from mmreward.jobs.spec import FIELDS, RelabelSpec
from mmreward.prm.items import ORMResult, PRMResult
from mmreward.recipes import RewardResult
from mmreward.verifiers.verdict import Verdict

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


def prepare(row: Mapping[str, Any], spec: RelabelSpec, label: str) -> Prepared:
    """The item for one row; `label` ("line 7", "row 7") prefixes the reason of a bad row."""
    try:
        return _item(row, spec)
    except RowError as error:
        return f"{label}: {error}"


def _item(row: Mapping[str, Any], spec: RelabelSpec) -> dict[str, Any]:
    required, optional = FIELDS[spec.capability]
    for field in required:
        if row.get(spec.column(field)) is None:
            raise RowError(f"column {spec.column(field)!r} is missing")

    def get(field: str) -> Any:
        return row.get(spec.column(field))

    if spec.capability == "verifier":
        options = get("options")
        return {
            "verifier": spec.name,
            "response": _text(get("response"), spec.column("response")),
            "reference": get("reference"),
            "options": None if options is None else _strings(options, spec.column("options")),
            "params": spec.params,
        }
    if spec.capability == "recipe":
        item: dict[str, Any] = {"response": _text(get("response"), spec.column("response"))}
        for field in optional:
            value = get(field)
            if value is None:
                continue
            if field == "options" or field == "steps":
                value = _strings(value, spec.column(field))
            elif field == "image":
                value = _image(value, spec.column(field))
            elif field in ("prompt", "question"):
                value = _text(value, spec.column(field))
            item[field] = value
        return item
    if spec.capability == "prm":
        steps = get("steps")
        if steps is not None:
            chain = _strings(steps, spec.column("steps"))
        elif get("response") is not None:
            text = _text(get("response"), spec.column("response"))
            chain = [s.strip() for s in text.split(spec.step_separator) if s.strip()]
        else:
            raise RowError(f"neither {spec.column('steps')!r} nor {spec.column('response')!r}")
        prompt = get("prompt")
        problem = "" if prompt is None else _text(prompt, spec.column("prompt"))
        return {"problem": problem, "steps": chain}
    if spec.capability == "orm":
        return {
            "prompt": _text(get("prompt"), spec.column("prompt")),
            "response": _text(get("response"), spec.column("response")),
        }
    question = get("question")
    return {
        "image": _image(get("image"), spec.column("image")),
        "response": _text(get("response"), spec.column("response")),
        "question": None if question is None else _text(question, spec.column("question")),
        "task": spec.task,
        "reference": get("reference"),
        "params": spec.params,
    }


def error_columns(spec: RelabelSpec, reason: str) -> dict[str, Any]:
    """Reward 0 and the reason, for a row that could not be scored."""
    return {spec.output: 0.0, f"{spec.output}_status": "error", f"{spec.output}_reason": reason}


def verdict_columns(spec: RelabelSpec, verdict: Verdict) -> dict[str, Any]:
    p = spec.output
    return {
        p: verdict.reward,
        f"{p}_status": verdict.status,
        f"{p}_reason": verdict.reason,
        f"{p}_correct": verdict.correct,
        f"{p}_extracted": verdict.extracted,
    }


def recipe_columns(spec: RelabelSpec, result: RewardResult) -> dict[str, Any]:
    """Total, then each component's unweighted score; a component's own error is the reason."""
    p = spec.output
    errors = [
        f"{name}: {part.details['error']}"
        for name, part in result.components.items()
        if isinstance(part.details.get("error"), str)
    ]
    columns: dict[str, Any] = {
        p: result.reward,
        f"{p}_status": "error" if errors else "ok",
        f"{p}_reason": "; ".join(errors),
    }
    for name, part in result.components.items():
        columns[f"{p}_{name}"] = part.score
    return columns


def prm_columns(spec: RelabelSpec, result: PRMResult) -> dict[str, Any]:
    p = spec.output
    return {
        p: result.score,
        f"{p}_status": "error" if result.error else "ok",
        f"{p}_reason": result.error or "",
        f"{p}_step_scores": result.step_scores,
        f"{p}_first_error": result.first_error,
    }


def orm_columns(spec: RelabelSpec, result: ORMResult) -> dict[str, Any]:
    p = spec.output
    return {
        p: result.reward,
        f"{p}_status": "error" if result.error else "ok",
        f"{p}_reason": result.error or "",
        f"{p}_score": result.score,
    }
