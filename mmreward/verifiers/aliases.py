"""Other names of one entity in short answers: "USA" is "United States", "UK" is "Britain".

A chart answer names a country, city or organisation the way its writer is used to; a grader
comparing strings would call "USA" wrong against "United States". The built-in table
(`aliases.json` in this package: a JSON list of groups, each a list of names of one entity) holds
unambiguous names only: no "America" (a continent), "Korea" (two countries), "LA" (also
Louisiana) or "DC" (also direct current). Callers extend it per item or per recipe with the
chart verifier's `aliases` param: `[["Czechia", "Czech Republic"], …]` or
`{"Czechia": ["Czech Republic"]}`; a group that shares a name with a built-in one joins it.

Names are compared the way the chart verifier compares text (case, articles, punctuation and
spacing do not count), so "the U.S." is "US".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.resources import files
from typing import Any

from mmreward.errors import InvalidInputError
from mmreward.verifiers.text import normalize_text

MAX_GROUPS = 1000
MAX_NAMES = 50
MAX_NAME_CHARS = 200

Groups = tuple[tuple[str, ...], ...]


def key(name: str) -> str:
    """The form two names are compared in."""
    return normalize_text(name).replace(" ", "")


@lru_cache(maxsize=1)
def builtin_groups() -> Groups:
    """The package's table, read once."""
    raw = json.loads(files("mmreward.verifiers").joinpath("aliases.json").read_text("utf-8"))
    return parse_groups(raw)


def parse_groups(raw: Any) -> Groups:
    """Validate an alias table: a list of lists of names, or a mapping name -> list of names."""
    if isinstance(raw, Mapping):
        raw = [[name, *_names(others)] for name, others in raw.items()]
    if not isinstance(raw, list | tuple) or len(raw) > MAX_GROUPS:
        raise InvalidInputError(f"aliases must be a list of at most {MAX_GROUPS} name lists")
    return tuple(tuple(_names(group)) for group in raw)


def _names(group: Any) -> list[str]:
    if isinstance(group, str) or not isinstance(group, Iterable):
        raise InvalidInputError("each aliases group must be a list of names")
    names = list(group)
    if len(names) > MAX_NAMES:
        raise InvalidInputError(f"an aliases group holds at most {MAX_NAMES} names")
    for name in names:
        if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_CHARS:
            raise InvalidInputError(f"alias names are strings of 1-{MAX_NAME_CHARS} characters")
    return names


@lru_cache(maxsize=64)
def entity_index(extra: Groups = ()) -> Mapping[str, int]:
    """Compared name -> entity number for the built-in table joined with `extra` (groups that
    share a name merge). Cached: a batch's items usually carry the same extra table."""
    groups: list[set[str]] = []
    for group in (*builtin_groups(), *extra):
        names = {key(name) for name in group} - {""}
        overlapping = [g for g in groups if g & names]
        for g in overlapping:
            names |= g
            groups.remove(g)
        groups.append(names)
    return {name: number for number, group in enumerate(groups) for name in group}


def same_entity(said: str, wanted: str, extra: Groups = ()) -> bool:
    """Whether two compared names (see `key`) name one entity of the table."""
    index = entity_index(extra)
    number = index.get(said)
    return number is not None and number == index.get(wanted)
