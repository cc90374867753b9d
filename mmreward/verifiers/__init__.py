"""Outcome verifiers: extract an answer from a response and judge it against a reference.

`verify()` is the one entry point; each verifier module registers itself by name.
"""

from __future__ import annotations

from typing import Any

import mmreward.verifiers.math as _math  # noqa: F401  (registers "math")
from mmreward.verifiers import chart as _chart  # noqa: F401  (registers "chart")
from mmreward.verifiers import choice as _choice  # noqa: F401  (registers "choice")
from mmreward.verifiers import format as _format  # noqa: F401  (registers "format")
from mmreward.verifiers.registry import Deferred, get_verifier, register, verifier_names
from mmreward.verifiers.verdict import Status, Verdict

__all__ = ["Deferred", "Status", "Verdict", "register", "verifier_names", "verify"]


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
