"""Killable worker processes for work that may hang or exhaust memory (sympy on user input)."""

from mmreward.fairness.tickets import Ticket, current_ticket, request_scope
from mmreward.sandbox.pool import Sandbox, available_cores, default_sandbox

__all__ = [
    "Sandbox",
    "Ticket",
    "available_cores",
    "current_ticket",
    "default_sandbox",
    "request_scope",
]
