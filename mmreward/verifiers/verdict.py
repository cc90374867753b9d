"""The one result type every verifier returns.

A timeout, an unparsable reference and a wrong answer are different outcomes: a trainer may want
to drop the first two from its batch statistics, while the last is a real 0. `deadline` is no
outcome of the item at all: the caller's deadline passed before it was judged (reward 0, never
cached or remembered; adapters abstain or log it apart, never train on it as a 0). A
`truncated` response was cut at the length limit and is not judged, whatever its answer.
"""

from __future__ import annotations

from typing import Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, field_validator

Status = Literal[
    "ok", "no_answer", "unparsable_reference", "timeout", "deadline", "error", "truncated"
]


class ReadOnlyDict(dict[str, Any]):
    """A dict that refuses every change once built.

    A verdict is shared: by the verdict cache, by a verifier's cache of prepared references and
    by every caller it was handed to, so changing one caller's copy would change the others'.
    """

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a verdict cannot be changed; make a new one (Verdict.with_details)")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[ReadOnlyDict], tuple[dict[str, Any]]]:
        return ReadOnlyDict, (dict(self),)


class Verdict(BaseModel):
    """Outcome of checking one response against one reference; immutable (see `ReadOnlyDict`)."""

    model_config = ConfigDict(frozen=True)

    reward: float
    correct: bool | None
    extracted: str | None = None
    status: Status = "ok"
    reason: str = ""
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("details", mode="after")
    @classmethod
    def _read_only(cls, details: dict[str, Any]) -> dict[str, Any]:
        return ReadOnlyDict(details)

    def with_details(self, **details: Any) -> Verdict:
        """A copy with `details` added (replacing keys of the same name)."""
        return self.model_copy(update={"details": ReadOnlyDict({**self.details, **details})})

    def with_extracted(self, extracted: str | None) -> Verdict:
        """A copy that reports `extracted` as the answer found."""
        return self.model_copy(update={"extracted": extracted})

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

    @classmethod
    def truncated(cls) -> Verdict:
        """A response cut at the generation length limit: reward 0, not judged."""
        return cls.failed("truncated", TRUNCATED_REASON)


TRUNCATED_REASON = "response cut at the length limit (truncated)"
