"""What the LaTeX reader raises: the text is not math it reads, or too big to read here."""

from __future__ import annotations


class LatexError(ValueError):
    """The text is not math this parser understands."""


class TooComplexError(LatexError):
    """The text is too long or too deeply nested to be an answer worth parsing."""
