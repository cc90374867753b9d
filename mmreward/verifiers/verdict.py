"""The one result type every verifier returns.

A timeout, an unparsable reference and a wrong answer are different outcomes: a trainer may want
to drop the first two from its batch statistics, while the last is a real 0.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["ok", "no_answer", "unparsable_reference", "timeout", "error"]


class Verdict(BaseModel):
    """Outcome of checking one response against one reference."""

    reward: float
    correct: bool | None
    extracted: str | None = None
    status: Status = "ok"
    reason: str = ""
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def judged(cls, correct: bool, extracted: str | None, reason: str, **details: Any) -> Verdict:
        """A normal verdict: the answer was found and compared."""
        return cls(
            reward=1.0 if correct else 0.0,
            correct=correct,
            extracted=extracted,
            status="ok",
            reason=reason,
            details=details,
        )

    @classmethod
    def failed(
        cls, status: Status, reason: str, extracted: str | None = None, **details: Any
    ) -> Verdict:
        """No judgement was possible: reward 0, `correct` unknown."""
        return cls(
            reward=0.0,
            correct=None,
            extracted=extracted,
            status=status,
            reason=reason,
            details=details,
        )
