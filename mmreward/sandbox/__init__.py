"""Killable worker processes for work that may hang or exhaust memory (sympy on user input)."""

from mmreward.sandbox.pool import Sandbox, default_sandbox, set_default_sandbox

__all__ = ["Sandbox", "default_sandbox", "set_default_sandbox"]
