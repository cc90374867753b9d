"""Items as the clients accept them (models or plain dicts), validated once, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def as_models(model: type[M], items: Sequence[M | dict[str, Any]]) -> list[M]:
    """Validate plain dicts into `model`; models pass through unchanged."""
    return [item if isinstance(item, model) else model.model_validate(item) for item in items]


def as_json(items: Sequence[BaseModel | dict[str, Any]]) -> list[dict[str, Any]]:
    """Request bodies: models dumped without unset optional fields, dicts as they are."""
    return [
        item.model_dump(mode="json", exclude_none=True) if isinstance(item, BaseModel) else item
        for item in items
    ]
