"""The `Deferred` hand-off to the sandbox, and the signature every verifier has.

A verifier does its cheap, safe work (extraction, string and plain-number checks) in the caller's
process and returns a `Verdict`. Work that can blow up (sympy) is returned as a `Deferred`: a
module-level function plus picklable arguments, which the caller runs in a killable worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

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
