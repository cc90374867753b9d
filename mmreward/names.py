"""Names checked where they are written: an unknown one is refused naming the known ones and the
closest match, so a typo fails at the adapter, recipe, URL or config that holds it rather than
as a column of zero rewards in a training run."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown_name(what: str, word: str, known: Iterable[str]) -> str:
    """`unknown verifier 'maths' (did you mean 'math'?); known: chart, choice, format, math`."""
    names = sorted(set(known))
    guess = difflib.get_close_matches(word, names, n=1)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    return f"unknown {what} {word!r}{hint}; known: {', '.join(names) or 'none'}"
