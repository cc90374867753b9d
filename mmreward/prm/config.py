"""PRM checkpoint formats and options, free of heavy imports: the engine reads them at start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PRMFormat = Literal["token-cls", "qwen-prm", "step-tag-lm"]
PRM_FORMATS: tuple[PRMFormat, ...] = ("token-cls", "qwen-prm", "step-tag-lm")
PRM_CONFIG_FILE = "prm_config.json"
"""Written next to the weights by `mmreward prm train`: format, separator, max_tokens."""


@dataclass(frozen=True)
class PRMOptions:
    """Format-specific settings; defaults follow each checkpoint family's published convention.

    ``separator`` defaults to ``"\\n"`` (token-cls), ``<extra_0>`` (qwen-prm) or the step tag
    (step-tag-lm). A ``prm_config.json`` next to the weights overrides the defaults for the keys it
    holds; explicit options override both.
    """

    separator: str | None = None
    step_tag: str = "ки"
    good_token: str = "+"
    bad_token: str = "-"
    max_tokens: int | None = None
    trust_remote_code: bool = False
