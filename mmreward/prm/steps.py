"""A response as PRM steps: the one rule shared by recipes, relabeling and the training loop.

A step is a piece of the response between separators, with its surrounding whitespace removed;
pieces that are only whitespace are no steps. The default separator is a newline: one step per
line, as the bundled PRM was trained, the playground reads a chain and PRM800K writes them; a
chain written one paragraph per step (blank lines between) splits the same way unless a
paragraph spans several lines, where `"\n\n"` is the separator to pass.
"""

from __future__ import annotations

STEP_SEPARATOR = "\n"


def step_spans(text: str, separator: str = STEP_SEPARATOR) -> list[tuple[int, int]]:
    """`(start, end)` in `text` of the piece holding each step (its whitespace included): the
    training loop puts a step's reward on the token where its piece ends."""
    spans = []
    start = 0
    for piece in text.split(separator):
        if piece.strip():
            spans.append((start, start + len(piece)))
        start += len(piece) + len(separator)
    return spans


def split_steps(text: str, separator: str = STEP_SEPARATOR) -> list[str]:
    """The steps of `text`, in order: each piece of `step_spans`, stripped."""
    return [text[start:end].strip() for start, end in step_spans(text, separator)]
