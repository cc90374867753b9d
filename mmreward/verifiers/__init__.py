"""Outcome verifiers: extract an answer from a response and judge it against a reference.

`verify()` is the one entry point; the verifiers by name are listed in `registry.VERIFIERS`.
"""

from __future__ import annotations

from typing import Any

from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.registry import get_verifier, verifier_names
from mmreward.verifiers.verdict import Status, Verdict

__all__ = ["Deferred", "Status", "Verdict", "verifier_names", "verify"]


def verify(
    verifier: str,
    response: str,
    reference: Any,
    *,
    options: list[str] | None = None,
    **params: Any,
) -> Verdict:
    """Judge `response` against `reference` with the named verifier.

    Safe to call from any thread or event loop: sympy work runs in the default sandbox, so a
    hostile expression ends as `status="timeout"` instead of hanging the caller.
    """
    from mmreward.sandbox import default_sandbox

    outcome = get_verifier(verifier)(response, reference, options=options, **params)
    if isinstance(outcome, Deferred):
        return default_sandbox().run(outcome)
    return outcome
