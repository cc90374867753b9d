"""A bounded queue that serves its tickets in turn, so one big request cannot starve the rest."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator
from typing import Generic, TypeVar

from mmreward.fairness.tickets import Ticket

T = TypeVar("T")


class FairQueue(Generic[T]):
    """Round-robin over tickets; FIFO within one ticket."""

    def __init__(self) -> None:
        self._by_ticket: OrderedDict[Ticket, deque[T]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, ticket: Ticket, item: T) -> None:
        self._by_ticket.setdefault(ticket, deque()).append(item)
        self._size += 1

    def pop(self) -> T:
        ticket, items = next(iter(self._by_ticket.items()))
        item = items.popleft()
        self._size -= 1
        if items:
            self._by_ticket.move_to_end(ticket)
        else:
            del self._by_ticket[ticket]
        return item

    def waiting_besides(self, ticket: Ticket) -> bool:
        """True when some other ticket has items waiting."""
        others = len(self._by_ticket) - (ticket in self._by_ticket)
        return others > 0

    def drop_ended(self, now: float) -> Iterator[tuple[Ticket, T]]:
        """Remove and yield the items of tickets that were cancelled or ran out of time."""
        for ticket in [t for t in self._by_ticket if t.ended(now)]:
            items = self._by_ticket.pop(ticket)
            self._size -= len(items)
            for item in items:
                yield ticket, item

    def drain(self) -> Iterator[tuple[Ticket, T]]:
        while self._by_ticket:
            ticket, items = self._by_ticket.popitem(last=False)
            self._size -= len(items)
            for item in items:
                yield ticket, item
