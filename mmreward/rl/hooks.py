"""Task figures at evaluation time: a function the config names as `module:function`.

The loop knows rewards; a task knows more (the true value of each intermediate step, a strict
exact-match form). `eval_hook` lets a task report those beside `eval/verifier_accuracy`
without the loop knowing the task. The function is imported like a verl custom reward
(`pkg.module:name`) from the user's own config: it is the user's code, run in the training
process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from mmreward.errors import InvalidInputError

EvalHook = Callable[[Sequence[dict[str, Any]], Sequence[str], Sequence[bool]], dict[str, float]]
"""(held-out records, greedy responses, truncated flags) -> figures logged as `eval/<name>`."""


def load_eval_hook(spec: str) -> EvalHook:
    """Resolve `module:function`; a wrong name fails here, before any training."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise InvalidInputError(f"eval_hook must be 'module:function', not {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        message = f"eval_hook {spec!r}: cannot import {module_name}: {error}"
        raise InvalidInputError(message) from None
    hook = getattr(module, attribute, None)
    if not callable(hook):
        raise InvalidInputError(f"eval_hook {spec!r}: {module_name} has no function {attribute}")
    return hook  # type: ignore[no-any-return]
