"""A forked worker starts with everything its jobs import: no item pays for a module load."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import mmreward.sandbox.worker  # what the fork server imports before forking workers
from mmreward.verifiers.symbolic import judge_with_sympy

before = set(sys.modules)
assert judge_with_sympy("(x+1)^2", "x^2+2x+1", "boxed").correct
assert judge_with_sympy("\\\\sin^2 x+\\\\cos^2 x", "1", "boxed").correct
print(sorted(m for m in set(sys.modules) - before if m.startswith("sympy")))
"""


def test_a_workers_first_sympy_job_imports_nothing() -> None:
    # simplify's lazy import of sympy.physics.units cost 0.27 s of the first item's CPU budget
    # in every fresh worker: a verdict that depended on which worker ran the item.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
