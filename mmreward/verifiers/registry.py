"""Name -> verifier function: the one list of verifiers, written out here.

Nothing registers itself by being imported: a new verifier is a function in its own module of
`mmreward.verifiers` and one entry in `VERIFIERS`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import wraps
from typing import Any

from mmreward.errors import InvalidInputError, UnknownVerifierError
from mmreward.names import unknown_name
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
        raise UnknownVerifierError(unknown_name("verifier", name, VERIFIERS)) from None


def verifier_settings(name: str) -> list[str]:
    """The settings `name` takes: its keyword-only parameters besides `options`."""
    parameters = inspect.signature(get_verifier(name)).parameters.values()
    return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.name != "options"]


def check_verifier(name: str, settings: Mapping[str, Any] | None = None) -> None:
    """Refuse an unknown verifier or setting name (with the known ones) before any scoring;
    the values are checked where they are used."""
    known = verifier_settings(name)
    for key in settings or {}:
        if key not in known:
            raise InvalidInputError(unknown_name(f"{name} setting", key, known))


def is_registered(name: str) -> bool:
    return name in VERIFIERS


def verifier_names() -> list[str]:
    return sorted(VERIFIERS)
