"""Name -> verifier function: the one list of verifiers, written out here.

Nothing registers itself by being imported: a new verifier is a function in its own module of
`mmreward.verifiers` and one entry in `VERIFIERS`.
"""

from __future__ import annotations

from collections.abc import Mapping

from mmreward.errors import UnknownVerifierError
from mmreward.verifiers.chart import verify_chart
from mmreward.verifiers.choice import verify_choice
from mmreward.verifiers.deferred import Verifier
from mmreward.verifiers.format import verify_format
from mmreward.verifiers.math import verify_math

VERIFIERS: Mapping[str, Verifier] = {
    "math": verify_math,
    "chart": verify_chart,
    "choice": verify_choice,
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
