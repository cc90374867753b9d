"""A request's claim on scarce workers: its deadline, and whether its caller has gone.

Jobs of one ticket share a deadline and are scheduled fairly against other tickets' jobs, in
the sandbox and in the model batchers. The HTTP layer opens one ticket per request
(`request_scope`); every call made while it is open, in any task or thread the request starts,
belongs to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from mmreward.errors import Ended


@dataclass(eq=False)
class Ticket:
    deadline: float | None = None
    """`time.monotonic()` after which the request's waiting and slow items are dropped."""
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True

    def expired(self, now: float) -> bool:
        return self.deadline is not None and now >= self.deadline

    def ended(self, now: float) -> bool:
        return self.cancelled or self.expired(now)

    def ending_reason(self) -> tuple[Ended, str]:
        """(status, reason) for an item dropped because the request ended."""
        if self.cancelled:
            return "error", "request cancelled: its caller went away"
        return "deadline", "request deadline passed before the item was evaluated"


_current: ContextVar[Ticket | None] = ContextVar("mmreward_sandbox_ticket", default=None)


def current_ticket() -> Ticket | None:
    return _current.get()


@contextmanager
def request_scope(deadline_s: float | None = None) -> Iterator[Ticket]:
    """Open a ticket for the work done inside the block (and the tasks it starts)."""
    deadline = None if deadline_s is None else time.monotonic() + deadline_s
    ticket = Ticket(deadline=deadline)
    token = _current.set(ticket)
    try:
        yield ticket
    finally:
        _current.reset(token)
