"""Text that can leave the process: JSON accepts lone surrogates (`"\\ud800"`), UTF-8 does not.

A string holding half a surrogate pair parses, validates as `str` and then fails wherever it is
encoded: the HTTP response, a tokenizer, Redis, a Parquet file. Checking once, where items enter,
turns that into a clear error naming the field instead of a 500 deep inside.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, model_validator

_SURROGATE = re.compile("[\ud800-\udfff]")


def unencodable_at(text: str) -> int | None:
    """Index of the first character UTF-8 cannot encode (a lone surrogate), or None."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return None if found is None else found.start()


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), f"{path}.{name}" if path else name)
        for name, extra in (value.model_extra or {}).items():
            yield from _strings(extra, f"{path}.{name}" if path else name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{path} key")
            yield from _strings(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def unencodable_reason(value: Any, path: str = "") -> str | None:
    """Why `value` (a string, model, list or dict of them) cannot be encoded, or None if it can."""
    for where, text in _strings(value, path):
        index = unencodable_at(text)
        if index is not None:
            char = f"U+{ord(text[index]):04X}"
            name = f"`{where}`" if where else "text"
            return f"{name} is not valid Unicode: lone surrogate {char} at character {index}"
    return None


class EncodableModel(BaseModel):
    """Base for input records: any string anywhere in the record must be encodable.

    Covers free-form fields too (`reference: Any`, `params`, extra fields), so the error names
    the exact place: `response`, `params['unit']`, `steps[3]`.
    """

    @model_validator(mode="after")
    def _encodable(self) -> EncodableModel:
        reason = unencodable_reason(self)
        if reason is not None:
            raise ValueError(reason)
        return self


def scrub(value: Any) -> Any:
    """A copy of JSON-like `value` with every lone surrogate replaced by U+FFFD.

    For echoing input back (validation errors): the echo must encode even when the input did not.
    """
    if isinstance(value, str):
        return value if unencodable_at(value) is None else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value
