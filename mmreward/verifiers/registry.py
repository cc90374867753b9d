"""Name -> verifier function: the one list of verifiers, written out here.

Nothing registers itself by being imported: a new verifier is a function in its own module of
`mmreward.verifiers` and one entry in `VERIFIERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import wraps
from typing import Any

from mmreward.errors import UnknownVerifierError
from mmreward.verifiers.chart import verify_chart
from mmreward.verifiers.choice import verify_choice
from mmreward.verifiers.deferred import Deferred, Verifier
from mmreward.verifiers.format import verify_format
from mmreward.verifiers.math import verify_math
from mmreward.verifiers.verdict import Verdict

MISSING_REFERENCE = "the item has no reference to judge the answer against"


def _needs_reference(verifier: Verifier) -> Verifier:
    """A verifier that judges against a reference says so when there is none (`None`, or text
    that is only whitespace), rather than that the reference is of a kind it cannot read."""

    @wraps(verifier)
    def judged(
        response: str, reference: Any, *, options: list[str] | None = None, **params: Any
    ) -> Verdict | Deferred:
        if reference is None or (isinstance(reference, str) and not reference.strip()):
            return Verdict.failed(
                "unparsable_reference", "missing_reference", why=MISSING_REFERENCE
            )
        return verifier(response, reference, options=options, **params)

    return judged


VERIFIERS: Mapping[str, Verifier] = {
    "math": _needs_reference(verify_math),
    "chart": _needs_reference(verify_chart),
    "choice": _needs_reference(verify_choice),
    "format": verify_format,
}


def get_verifier(name: str) -> Verifier:
    try:
        return VERIFIERS[name]
    except KeyError:
        known = ", ".join(sorted(VERIFIERS))
        raise UnknownVerifierError(f"unknown verifier {name!r}; known: {known}") from None


def is_registered(name: str) -> bool:
    return name in VERIFIERS


def verifier_names() -> list[str]:
    return sorted(VERIFIERS)
