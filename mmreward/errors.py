"""Typed errors; the service turns each into a 4xx answer with its message."""

from typing import Literal

Ended = Literal["deadline", "error"]
"""The status of an item whose request ended before it was scored: its deadline passed
(`deadline`: no verdict, never a 0 to train on) or its caller went away (`error`)."""


class MMRewardError(Exception):
    """Base class of every error mmreward raises on purpose."""

    status_code = 400


class UnknownVerifierError(MMRewardError, KeyError):
    """A verifier name that is not registered."""

    status_code = 422

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown verifier"


class InvalidInputError(MMRewardError, ValueError):
    """Input that is well-formed JSON but cannot be scored (bad image, absurd size...)."""

    status_code = 422


class UnauthorizedError(MMRewardError):
    """A scoring route called without the configured API key."""

    status_code = 401


class ConfigurationError(MMRewardError):
    """A setting that cannot be used as given (a key option that holds no key); found at
    start-up, so a server refuses to start rather than run other than configured."""


class NotFoundError(MMRewardError, LookupError):
    """A named resource (recipe, model) that does not exist."""

    status_code = 404


class OverloadedError(MMRewardError):
    """A bounded queue is full; the client should retry later."""

    status_code = 429

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RequestEndedError(MMRewardError):
    """The request's deadline passed, or its caller went away, before its items were scored.

    `verdict_status` is what an item dropped for it is: `deadline` for a deadline, `error` for a
    caller that went away (as the sandbox answers such items)."""

    status_code = 408

    def __init__(self, reason: str, verdict_status: Ended = "deadline") -> None:
        super().__init__(reason)
        self.verdict_status = verdict_status


class ModelNotLoadedError(MMRewardError):
    """An endpoint whose model was not configured on this server."""

    status_code = 503
