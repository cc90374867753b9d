"""Text that can leave the process: JSON accepts lone surrogates (`"\\ud800"`), UTF-8 does not.

A string holding half a surrogate pair parses, validates as `str` and then fails wherever it is
encoded: the HTTP response, a tokenizer, Redis, a Parquet file. Free-form fields (`reference`,
`params`) can also nest deeper than any reader can recurse, or hold more values than any reader
should walk. The engine checks each item once, where it enters (`EncodableSplit`): such an item
is an error in its place, naming the field, and the rest of the batch is scored, as for any
other bad item.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from mmreward.split import Split

_SURROGATE = re.compile("[\ud800-\udfff]")
_Item = TypeVar("_Item")


def unencodable_at(text: str) -> int | None:
    """Index of the first character UTF-8 cannot encode (a lone surrogate), or None."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return None if found is None else found.start()


MAX_NESTING = 32
"""Lists and dicts inside an item nest at most this deep (a matrix of answers is 2 or 3)."""

MAX_VALUES = 10_000
"""Strings, numbers, lists and objects in one item, at most (a 100 x 100 matrix reference is
10,101). Every reader of an item walks all of it in Python, at ~1 µs a value: a reference of
200,000 numbers held the event loop ~0.5 s before any verifier had looked at it."""

INLINE_VALUES = 20_000
"""A batch worth at most this many values is checked on the event loop (a few ms); a larger
one on a worker thread, where the walk lets the loop run between its bytecodes."""

_Segment = tuple[str, Any]
_SCALARS = frozenset({int, float, bool, type(None)})
_FLAT = _SCALARS | {str}
_CONTAINERS = frozenset({dict, list, tuple})
_FLAT_FIELDS = 64


class _Refusal(Exception):
    """Why an item cannot be taken in; `where` is filled, innermost first, as it unwinds."""

    def __init__(self, kind: str, detail: str = "", coming: int = 0) -> None:
        self.kind = kind
        self.detail = detail
        self.coming = coming  # members of the container that was too large, not yet counted
        self.where: list[_Segment] = []


class _OverBudget(Exception):
    """The batch holds more values than a check on the event loop should walk."""


class _Walk:
    """One pass over a value: its text, its depth and its size (the paths of refused values
    are built only when one is refused, as the refusal unwinds)."""

    def __init__(self, max_values: int | None, budget: int | None) -> None:
        self.max_values = max_values
        self.budget = budget
        self.values = 0

    def visit(self, value: Any, depth: int) -> None:
        self.values += 1
        if isinstance(value, str):
            _check_text(value)
            return
        if not isinstance(value, BaseModel | dict | list | tuple):
            return
        if depth > MAX_NESTING:
            raise _Refusal("deep")
        self._check_size(0 if isinstance(value, BaseModel) else len(value))
        if isinstance(value, BaseModel):
            self._fields(value, depth)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._step(key, depth, ("key", None))
                self._step(item, depth, ("value", key))
        else:
            for index, item in enumerate(value):
                if type(item) in _SCALARS:  # most of a long list: counted without a call
                    self.values += 1
                else:
                    self._step(item, depth, ("index", index))

    def _fields(self, model: BaseModel, depth: int) -> None:
        """A model's fields; an item over the size bound is blamed on its largest field, not
        on whichever field the count happened to cross the bound in."""
        fields = [(name, getattr(model, name)) for name in type(model).model_fields]
        fields += (model.model_extra or {}).items()
        if (
            depth < MAX_NESTING
            and len(fields) <= _FLAT_FIELDS
            and all(_is_flat(item) for _, item in fields)
        ):
            self._flat_fields(fields)
            return
        sizes: dict[str, int] = {}
        for name, item in fields:
            before = self.values
            try:
                self._step(item, depth, ("field", name))
            except _Refusal as refusal:
                if refusal.kind == "large":
                    sizes[name] = self.values - before + refusal.coming
                    refusal.where[-1] = ("field", max(sizes, key=sizes.__getitem__))
                raise
            sizes[name] = self.values - before

    def _flat_fields(self, fields: list[tuple[str, Any]]) -> None:
        """Fields that each hold one value (text, a number, an empty list): most items. Each is
        counted and its text checked as `_step` would, without three calls apiece; a model of
        at most `_FLAT_FIELDS` of them is never over the size bound (the batch's budget is
        checked once, at the end: going over it means the whole batch is walked again)."""
        for name, item in fields:
            self.values += 1
            if type(item) is str:
                try:
                    _check_text(item)
                except _Refusal as refusal:
                    refusal.where.append(("field", name))
                    raise
        self._check_size()

    def _step(self, value: Any, depth: int, segment: _Segment) -> None:
        try:
            self.visit(value, depth + 1)
            self._check_size()
        except _Refusal as refusal:
            refusal.where.append(segment)
            raise

    def _check_size(self, coming: int = 0) -> None:
        """Refuse as soon as the count, with the `coming` members of a container, is over."""
        if self.max_values is not None and self.values + coming > self.max_values:
            raise _Refusal("large", coming=coming)
        if self.budget is not None and self.values + coming > self.budget:
            raise _OverBudget


def _check_text(text: str) -> None:
    index = unencodable_at(text)
    if index is not None:
        char = f"U+{ord(text[index]):04X}"
        raise _Refusal("unicode", f"lone surrogate {char} at character {index}")


def _is_flat(value: Any) -> bool:
    """One value, nothing inside it to walk: text, a number, None or an empty list or object."""
    return type(value) in _FLAT or (type(value) in _CONTAINERS and not value)


def _path(start: str, segments: list[_Segment]) -> str:
    """`steps[1]`, `params['a']`, `reference[0][2]`: where a refused value sits."""
    path = start
    for kind, label in segments:
        if kind == "field":
            path = f"{path}.{label}" if path else label
        elif kind == "key":
            path = f"{path} key"
        elif kind == "value":
            path = f"{path}[{label!r}]" if path else str(label)
        else:
            path = f"{path}[{label}]"
    return path


def _reason(refusal: _Refusal, start: str) -> str:
    where = _path(start, refusal.where[::-1])
    if refusal.kind == "unicode":
        name = f"`{where}`" if where else "text"
        return f"{name} is not valid Unicode: {refusal.detail}"
    top = where.split("[", 1)[0].split(" ", 1)[0] or "value"
    if refusal.kind == "deep":
        return f"`{top}` nests lists or objects more than {MAX_NESTING} levels deep"
    return f"`{top}` holds more than {MAX_VALUES} values (strings, numbers, lists and objects)"


def unencodable_reason(value: Any, path: str = "") -> str | None:
    """Why `value` (a string, model, list or dict of them) cannot be taken in, or None.

    Text must be valid Unicode; structure must nest at most `MAX_NESTING` deep, since every
    reader of a value (this walk included) recurses through it and a deep enough one exhausts
    the stack (`RecursionError`) in whichever reader meets it first. No bound on size: a
    relabeling row may carry long columns (token ids) that never enter the engine.
    """
    try:
        _Walk(None, None).visit(value, 0)
    except _Refusal as refusal:
        return _reason(refusal, path)
    return None


class EncodableSplit(Split[_Item]):
    """The items of a batch that can be scored, and why each of the others cannot.

    An item is refused for text that is not valid Unicode, nesting deeper than `MAX_NESTING`
    or more than `MAX_VALUES` values. `values` is what the kept items hold in all.
    """

    def __init__(self, items: Sequence[_Item], budget: int | None = None) -> None:
        super().__init__()
        self.values = 0
        for item in items:
            walk = _Walk(MAX_VALUES, None if budget is None else budget - self.values)
            try:
                walk.visit(item, 0)
            except _Refusal as refusal:
                self.refuse(_reason(refusal, ""))
            else:
                self.keep(item)
            self.values += walk.values

    @classmethod
    async def of(cls, items: Sequence[_Item]) -> EncodableSplit[_Item]:
        """The split from an event loop: a large batch is walked on a worker thread."""
        try:
            return cls(items, budget=INLINE_VALUES)
        except _OverBudget:
            return await asyncio.to_thread(cls, items)


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
