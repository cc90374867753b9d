"""Length shaping: DAPO's soft overlong punishment (Yu et al., 2025, eq. 13).

Truncated samples get a graded penalty instead of a cliff, so the policy learns to stop before the
hard limit without a noisy 0/-1 step at exactly `max_len`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mmreward.errors import InvalidInputError

CHARS_PER_TOKEN = 4.0
"""Rough BPE ratio for English text, used only when the caller does not send a token count."""


def overlong_penalty(length: int, max_len: int, cache_len: int) -> float:
    """0 up to `max_len - cache_len`, a linear ramp to -1 inside the buffer, -1 beyond `max_len`."""
    if max_len <= 0 or cache_len < 0 or cache_len > max_len:
        raise InvalidInputError(
            f"length shaping needs 0 <= cache_len <= max_len and max_len > 0 "
            f"(got max_len={max_len}, cache_len={cache_len})"
        )
    if length < 0:
        raise InvalidInputError(f"response length must be >= 0 (got {length})")
    expected = max_len - cache_len
    if length <= expected:
        return 0.0
    if length <= max_len:
        return (expected - length) / cache_len
    return -1.0


@dataclass(frozen=True)
class ResponseLength:
    tokens: int
    source: str
    """"given" when the caller sent a token count, "estimated_chars" when it was guessed."""


def response_length(
    response: str, given_tokens: int | None, chars_per_token: float = CHARS_PER_TOKEN
) -> ResponseLength:
    """The caller's token count when sent; otherwise ceil(characters / chars_per_token)."""
    if given_tokens is not None:
        return ResponseLength(given_tokens, "given")
    if chars_per_token <= 0:
        raise InvalidInputError(f"chars_per_token must be > 0 (got {chars_per_token})")
    return ResponseLength(math.ceil(len(response) / chars_per_token), "estimated_chars")
