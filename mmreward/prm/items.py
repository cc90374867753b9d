"""PRM and ORM items and results, shared by the HTTP routes, the clients and the engine."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PRMItem(BaseModel):
    """A problem and its reasoning steps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    problem: str = Field("", description="the question the steps answer")
    steps: list[str] = Field(description="reasoning steps, in order")


class ORMItem(BaseModel):
    """A prompt and the response to judge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = ""
    response: str


class PRMResult(BaseModel):
    """The PRM's judgement of one chain; an item it cannot score carries `error` instead."""

    model_config = ConfigDict(frozen=True)

    step_scores: list[float] = Field(description="probability that each step is correct")
    score: float = Field(description="the step scores aggregated as requested")
    first_error: int = Field(description="first step below the threshold, -1 if none")
    truncated: bool = Field(description="the problem was cut from the left to fit the model")
    error: str | None = Field(None, description="why this item could not be scored")

    @classmethod
    def failed(cls, error: str) -> PRMResult:
        """An item the model cannot score: score 0, no steps, the reason."""
        return cls(step_scores=[], score=0.0, first_error=-1, truncated=False, error=error)


class ORMResult(BaseModel):
    """Raw model score and its sigmoid; an item it cannot score carries `error` instead."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(description="the model's raw score (logit)")
    reward: float = Field(description="sigmoid of the raw score, in [0, 1]")
    truncated: bool = Field(description="the input was cut to fit the model")
    error: str | None = Field(None, description="why this item could not be scored")

    @classmethod
    def failed(cls, error: str) -> ORMResult:
        """An item the model cannot score: reward 0, the reason."""
        return cls(score=0.0, reward=0.0, truncated=False, error=error)
