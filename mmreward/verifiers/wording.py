"""Worded answers that say the same thing: `impossible` / `not possible`, `No solutions` /
`there is no solution`, `does not exist` / `DNE`.

A closed table, applied after the words are normalised (case, plurals, filler words such as
"there is" or "the answer is"): a negation is a word like any other, so `possible` never equals
`not possible`, and `no real solution` keeps its `real`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mmreward.verifiers.units import singular

MAX_CHARS = 200

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_FILLERS = frozenset(
    {"there", "is", "are", "it", "its", "the", "a", "an", "so", "thus", "hence", "therefore",
     "answer", "final", "this", "that", "be", "would", "will", "exist", "exists", "at", "all"}
)  # fmt: skip
_CANNOT = re.compile(r"\bcan[' ]t\b")
_NOT = re.compile(r"n[' ]t\b")
_CONTRACTIONS = {"do": "does", "is": "is"}
_PHRASES = (
    ("not possible", "impossible"),
    ("cannot be done", "impossible"),
    ("not defined", "undefined"),
    ("does not", "dne"),
    ("dne", "dne"),
    ("no such", "dne"),
    ("not", "not"),
    ("infinitely many", "infinitely_many"),
    ("infinite number of", "infinitely_many"),
    ("infinite", "infinitely_many"),
)


def same_wording(a: str, b: str) -> bool:
    """Whether two worded answers mean the same under the table above."""
    return canonical_wording(a) == canonical_wording(b)


@lru_cache(maxsize=4096)
def canonical_wording(text: str) -> str:
    """Lower-case words, singular, fillers dropped, phrases of the table rewritten."""
    if len(text) > MAX_CHARS:
        return text
    lowered = _CANNOT.sub("cannot", text.lower().replace("’", "'"))
    lowered = _NOT.sub(" not", lowered)  # `doesn't`, and `doesn t` once quotes are stripped
    words: list[str] = []
    for word in _WORD.findall(lowered):
        words.extend(_CONTRACTIONS.get(word, word).split())
    kept = " ".join(_singular(w) for w in words if w not in _FILLERS)
    for phrase, meaning in _PHRASES:
        kept = re.sub(rf"\b{phrase}\b", meaning, kept)
    if kept.startswith("dne"):
        kept = "dne"  # `does not exist`, `no such number exists`
    if kept.startswith("infinitely_many"):
        kept = "infinitely_many" + (" real" if " real" in kept else "")
    return kept


def _singular(word: str) -> str:
    """The units' plural rule, except for short words (`does`, `yes`) and `-us`/`-is` words."""
    return word if len(word) <= 4 or word.endswith(("us", "is")) else singular(word)
