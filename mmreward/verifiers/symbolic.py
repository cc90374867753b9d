"""Last resort for answers our own parser does not read (sums, integrals, unusual notation).

latex2sympy2_extended builds sympy objects with an ANTLR grammar (no eval of the text), and sympy
decides. Only ever run inside the sandbox: simplification has no time bound on hostile input.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy
from latex2sympy2_extended import latex2sympy

from mmreward.verifiers.verdict import Verdict


@lru_cache(maxsize=1024)
def _parse(latex: str) -> Any:
    return latex2sympy(latex)


def judge_with_sympy(reference: str, answer: str, marker: str) -> Verdict:
    """Compare two LaTeX answers through sympy (a sandbox job)."""
    try:
        ref = _parse(reference)
    except Exception as error:  # the parser raises bare Exception subclasses
        return Verdict.failed(
            "unparsable_reference", "unparsable_reference", marker=marker, error=str(error)[:200]
        )
    try:
        ans = _parse(answer)
    except Exception as error:
        return Verdict.judged(
            False, answer, "unparsable_answer", marker=marker, via="sympy", error=str(error)[:200]
        )
    return Verdict.judged(_sympy_equal(ref, ans), answer, "symbolic", marker=marker, via="sympy")


def reference_error(reference: str) -> str | None:
    """Why latex2sympy cannot read `reference`, or None when it can."""
    try:
        _parse(reference)
    except Exception as error:
        return str(error)[:200]
    return None


def _sympy_equal(ref: Any, ans: Any) -> bool:
    if ref == ans:
        return True
    if isinstance(ref, sympy.Expr) and isinstance(ans, sympy.Expr):
        return bool(sympy.simplify(ref - ans) == 0)
    if isinstance(ref, sympy.Eq) and isinstance(ans, sympy.Eq):
        return bool(sympy.simplify((ref.lhs - ref.rhs) - (ans.lhs - ans.rhs)) == 0)
    return False
