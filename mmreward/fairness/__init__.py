"""Requests as units of fairness: one `Ticket` per request, queues that serve tickets in turn.

Shared by every place work waits for a scarce worker: sympy items for the sandbox, model
forwards for the PRM/ORM and detector batchers. One big request cannot starve a small one.
"""

from mmreward.fairness.queues import FairQueue
from mmreward.fairness.tickets import Ticket, current_ticket, request_scope

__all__ = ["FairQueue", "Ticket", "current_ticket", "request_scope"]
