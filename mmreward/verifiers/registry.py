"""Name -> verifier function, and the `Deferred` hand-off to the sandbox.

A verifier does its cheap, safe work (extraction, string and plain-number checks) in the caller's
process and returns a `Verdict`. Work that can blow up (sympy) is returned as a `Deferred`: a
module-level function plus picklable arguments, which the caller runs in a killable worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mmreward.errors import UnknownVerifierError
from mmreward.verifiers.verdict import Verdict


@dataclass(frozen=True)
class Deferred:
    """A unit of sandboxed work: `fn(*args)` must return a `Verdict`."""

    fn: Callable[..., Verdict]
    args: tuple[Any, ...]
    fallback: Verdict | None = None
    """What to answer when the sandbox kills the job, if a better guess than "timeout" exists."""

    def run_inline(self) -> Verdict:
        """Run in this process; only for code that is already inside a sandbox worker."""
        return self.fn(*self.args)


class Verifier(Protocol):
    def __call__(
        self, response: str, reference: Any, *, options: list[str] | None = None, **params: Any
    ) -> Verdict | Deferred: ...


_VERIFIERS: dict[str, Verifier] = {}


def register(name: str) -> Callable[[Verifier], Verifier]:
    """Class the decorated function as the verifier called `name`."""

    def decorate(fn: Verifier) -> Verifier:
        _VERIFIERS[name] = fn
        return fn

    return decorate


def get_verifier(name: str) -> Verifier:
    try:
        return _VERIFIERS[name]
    except KeyError:
        known = ", ".join(sorted(_VERIFIERS))
        raise UnknownVerifierError(f"unknown verifier {name!r}; known: {known}") from None


def is_registered(name: str) -> bool:
    return name in _VERIFIERS


def verifier_names() -> list[str]:
    return sorted(_VERIFIERS)
