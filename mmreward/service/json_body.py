"""JSON bodies parsed a piece at a time, giving the event loop back between pieces.

`json.loads` holds the event loop for the whole parse (~0.55 s for a 15 MB body of 400,000
items, during which no other request is answered), and running it on a thread does not help:
the C parser keeps the GIL throughout. Above `INCREMENTAL_BYTES`, a body is parsed here instead:
the top-level object and its lists a member (a request's item) at a
time with the C decoder (`JSONDecoder.raw_decode`), yielding to the loop every `SLICE_S`.
One item is parsed in one piece: a single item of millions of values still holds the loop for
its parse (~0.3 s for 12 MB of numbers), and is then an error for holding too many values. A
list under the top-level object longer than `max_list` ends the parse there, so a body of
200,000 items is refused after reading 1,025 of them rather than after parsing all of them.
The result is the same value `json.loads` gives, and malformed JSON raises the same
`json.JSONDecodeError`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

INCREMENTAL_BYTES = 256 << 10
"""Smaller bodies parse in one call: under ~10 ms, the cost of the pieces is not worth it."""

SLICE_S = 0.005
"""How long a parse keeps the event loop before it lets other requests run."""

_PIECE_DEPTH = 2
"""The body and its lists are parsed member by member; each member (an item) in one C call.
Parsing the items' fields member by member too cost ~10 µs of Python per value."""

OBJECT_MEMBERS = 64
"""The top-level object's bound (its members are a request's fields, not its items): a small
`max_items` must not refuse a body for naming its few fields."""

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class TooManyMembers(Exception):
    """The body (an array), its object or a list in that object has more than `max_members`
    members (`in_list`: a list, whose members are a request's items)."""

    def __init__(self, max_members: int, in_list: bool) -> None:
        where = "a list of the body" if in_list else "the body's top-level object"
        super().__init__(f"{where} has more than {max_members} members")
        self.max_members = max_members
        self.in_list = in_list


async def parse_json(body: bytes, max_list: int | None = None) -> Any:
    """The value of the JSON document `body`, as `json.loads(body)` gives it; raises
    `TooManyMembers` when the body, its top-level object or a list in that object has more than
    `max_list` members (each would be parsed on its own, ~10 µs of Python a member)."""
    if len(body) < INCREMENTAL_BYTES:
        value = json.loads(body)
        _check_lists(value, max_list)
        return value
    text = body.decode(json.detect_encoding(body), "surrogatepass")
    return await _Pieces(text, max_list).document()


def _check_lists(value: Any, max_list: int | None) -> None:
    if max_list is None:
        return
    if isinstance(value, list) and len(value) > max_list:
        raise TooManyMembers(max_list, in_list=True)
    if isinstance(value, dict):
        if len(value) > max(max_list, OBJECT_MEMBERS):
            raise TooManyMembers(max(max_list, OBJECT_MEMBERS), in_list=False)
        if any(isinstance(v, list) and len(v) > max_list for v in value.values()):
            raise TooManyMembers(max_list, in_list=True)


class _Pieces:
    def __init__(self, text: str, max_list: int | None) -> None:
        self.text = text
        self.max_list = max_list
        self.until = time.perf_counter() + SLICE_S

    def _error(self, message: str, pos: int) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, self.text, pos)

    def _at(self, pos: int) -> str:
        """The character at `pos` ("" past the end); `str.startswith(c, pos)` is linear in the
        length of the text, ~150 µs a call on 15 MB."""
        return self.text[pos : pos + 1]

    def _skip(self, pos: int) -> int:
        match = _SPACE.match(self.text, pos)
        assert match is not None  # the pattern matches the empty string
        return match.end()

    async def _pause(self) -> None:
        if time.perf_counter() >= self.until:
            await asyncio.sleep(0)
            self.until = time.perf_counter() + SLICE_S

    async def document(self) -> Any:
        value, pos = await self._value(self._skip(0), 0, self.max_list)
        pos = self._skip(pos)
        if pos != len(self.text):
            raise self._error("Extra data", pos)
        return value

    async def _value(self, pos: int, depth: int, limit: int | None) -> tuple[Any, int]:
        opener = self._at(pos)
        if depth < _PIECE_DEPTH and opener == "[":
            return await self._array(pos + 1, depth, limit)
        if depth < _PIECE_DEPTH and opener == "{":
            return await self._object(pos + 1, depth)
        await self._pause()
        return _DECODER.raw_decode(self.text, pos)

    async def _array(self, pos: int, depth: int, limit: int | None) -> tuple[list[Any], int]:
        members: list[Any] = []
        pos = self._skip(pos)
        if self._at(pos) == "]":
            return members, pos + 1
        while True:
            member, pos = await self._value(pos, depth + 1, None)
            members.append(member)
            if limit is not None and len(members) > limit:
                raise TooManyMembers(limit, in_list=True)
            pos = self._skip(pos)
            if self._at(pos) == ",":
                pos = self._skip(pos + 1)
            elif self._at(pos) == "]":
                return members, pos + 1
            else:
                raise self._error("Expecting ',' delimiter", pos)

    async def _object(self, pos: int, depth: int) -> tuple[dict[str, Any], int]:
        members: dict[str, Any] = {}
        pos = self._skip(pos)
        if self._at(pos) == "}":
            return members, pos + 1
        lists = self.max_list if depth == 0 else None
        limit = None if lists is None else max(lists, OBJECT_MEMBERS)
        parsed = 0  # duplicate keys too: each is parsed
        while True:
            parsed += 1
            if limit is not None and parsed > limit:
                raise TooManyMembers(limit, in_list=False)
            if not self._at(pos) == '"':
                raise self._error("Expecting property name enclosed in double quotes", pos)
            key, pos = _DECODER.raw_decode(self.text, pos)
            pos = self._skip(pos)
            if not self._at(pos) == ":":
                raise self._error("Expecting ':' delimiter", pos)
            members[key], pos = await self._value(self._skip(pos + 1), depth + 1, lists)
            pos = self._skip(pos)
            if self._at(pos) == ",":
                pos = self._skip(pos + 1)
            elif self._at(pos) == "}":
                return members, pos + 1
            else:
                raise self._error("Expecting ',' delimiter", pos)
