"""The two math judges the labelled suites compare: ours (deferred work run inline, as a sandbox
worker runs it) and the math-verify package."""

from __future__ import annotations

from mmreward.verifiers.deferred import Deferred
from mmreward.verifiers.math import verify_math


def ours(response: str, reference: str) -> bool:
    outcome = verify_math(response, reference)
    verdict = outcome.run_inline() if isinstance(outcome, Deferred) else outcome
    return verdict.correct is True


def math_verify(response: str, reference: str) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse(f"${reference}$"), parse(response)))
    except Exception:
        return False
