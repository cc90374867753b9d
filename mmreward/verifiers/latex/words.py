"""Worded answers (`\\text{Yes}`, `Monday`, `no solution`): telling them from math, and
their plain lower-case form."""

from __future__ import annotations

import re

from mmreward.verifiers.text import TEXT_COMMAND

TEXT_WRAPPER = re.compile(rf"{TEXT_COMMAND}\s*\{{")
_TEXT_GROUP = re.compile(TEXT_WRAPPER.pattern + r"[^{}]*\}")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[a-zA-Z*]*\}")
_WORD_RUN = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_SUBSCRIPT_GROUP = re.compile(r"_\{[a-zA-Z0-9]*\}")


def text_form(answer: str) -> str:
    """Answer as plain lower-case words: `\\text{ Yes }.` -> `yes`; used for worded answers."""
    s = TEXT_WRAPPER.sub("", answer)
    s = re.sub(r"[{}$\\*.,;:!?\"'()\[\]]", " ", s)
    return " ".join(s.lower().split())


def is_worded(normalized: str) -> bool:
    """True when the answer is words (`Monday`, `\\text{no solution}`), not math: only text
    groups, or a bare word of three letters or more (commands and environments aside)."""
    bare = _TEXT_GROUP.sub(" ", _ENVIRONMENT.sub(" ", normalized))
    bare = _SUBSCRIPT_GROUP.sub(" ", bare)  # `S_{MBCN}` names an area, it is not a word
    if bare.strip() == "" and normalized.strip():
        return any(c.isalpha() for c in normalized)
    return _WORD_RUN.search(bare) is not None
