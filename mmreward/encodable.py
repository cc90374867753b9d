"""Text that can leave the process: JSON accepts lone surrogates (`"\\ud800"`), UTF-8 does not.

A string holding half a surrogate pair parses, validates as `str` and then fails wherever it is
encoded: the HTTP response, a tokenizer, Redis, a Parquet file. Free-form fields (`reference`,
`params`) can also nest deeper than any reader can recurse. The engine checks each item once,
where it enters (`EncodableSplit`): such an item is an error in its place, naming the field, and
the rest of the batch is scored, as for any other bad item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

_SURROGATE = re.compile("[\ud800-\udfff]")
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def unencodable_at(text: str) -> int | None:
    """Index of the first character UTF-8 cannot encode (a lone surrogate), or None."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return None if found is None else found.start()


MAX_NESTING = 32
"""Lists and dicts inside an item nest at most this deep (a matrix of answers is 2 or 3)."""


class _TooDeep(Exception):
    def __init__(self, path: str) -> None:
        self.path = path


def _strings(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
        return
    if depth > MAX_NESTING and isinstance(value, BaseModel | dict | list | tuple):
        raise _TooDeep(path)
    if isinstance(value, BaseModel):
        fields = [(name, getattr(value, name)) for name in type(value).model_fields]
        for name, item in [*fields, *(value.model_extra or {}).items()]:
            yield from _strings(item, f"{path}.{name}" if path else name, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{path} key", depth + 1)
            yield from _strings(item, f"{path}[{key!r}]" if path else str(key), depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]", depth + 1)


def unencodable_reason(value: Any, path: str = "") -> str | None:
    """Why `value` (a string, model, list or dict of them) cannot be taken in, or None.

    Text must be valid Unicode; structure must nest at most `MAX_NESTING` deep, since every
    reader of a value (this walk included) recurses through it and a deep enough one exhausts
    the stack (`RecursionError`) in whichever reader meets it first.
    """
    try:
        for where, text in _strings(value, path):
            index = unencodable_at(text)
            if index is not None:
                char = f"U+{ord(text[index]):04X}"
                name = f"`{where}`" if where else "text"
                return f"{name} is not valid Unicode: lone surrogate {char} at character {index}"
    except _TooDeep as deep:
        top = deep.path.split("[", 1)[0].split(" ", 1)[0] or "value"
        return f"`{top}` nests lists or objects more than {MAX_NESTING} levels deep"
    return None


class EncodableSplit(Generic[_Item]):
    """The items of a batch that can be scored, and why each of the others cannot."""

    def __init__(self, items: Sequence[_Item]) -> None:
        self.items: list[_Item] = []
        self.refused: dict[int, str] = {}
        for index, item in enumerate(items):
            reason = unencodable_reason(item)
            if reason is None:
                self.items.append(item)
            else:
                self.refused[index] = reason

    def merge(self, scored: Sequence[_Result], failed: Callable[[str], _Result]) -> list[_Result]:
        """The results in the batch's order: `scored` for the kept items, `failed(reason)` else."""
        if not self.refused:
            return list(scored)
        kept = iter(scored)
        size = len(self.items) + len(self.refused)
        return [failed(self.refused[i]) if i in self.refused else next(kept) for i in range(size)]


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
