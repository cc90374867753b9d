"""Keep the items of a batch that can be scored, score them together, put each result back.

Every per-item rule of the engine has this shape: an item that cannot be taken in (text that is
not Unicode, a field a component cannot read, a chain longer than the model's window) or that
must not be judged (a response cut at the length limit) gets a result of its own in its place,
and the others are scored as one batch. This class is that shape, written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

from pydantic import ValidationError

from mmreward.errors import InvalidInputError

_Item = TypeVar("_Item")
_In = TypeVar("_In")
_Out = TypeVar("_Out")


def error_reason(error: Exception) -> str:
    """What an item's refusal says: a pydantic error's first problem and where, else the text."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(error)


class Split(Generic[_Item]):
    """The kept items of a batch (`items`, in order) and why each other index was set aside."""

    def __init__(self) -> None:
        self.items: list[_Item] = []
        self.refused: dict[int, str] = {}

    @property
    def size(self) -> int:
        """Items in the whole batch, kept and refused."""
        return len(self.items) + len(self.refused)

    def keep(self, item: _Item) -> None:
        self.items.append(item)

    def refuse(self, reason: str) -> None:
        self.refused[self.size] = reason

    @classmethod
    def where(cls, items: Iterable[_Item], refusal: Callable[[_Item], str | None]) -> Split[_Item]:
        """Keep each item for which `refusal` gives None; refuse the others with its reason."""
        split: Split[_Item] = cls()
        for item in items:
            reason = refusal(item)
            if reason is None:
                split.keep(item)
            else:
                split.refuse(reason)
        return split

    @classmethod
    def made(cls, entries: Iterable[_In], make: Callable[[_In], _Item]) -> Split[_Item]:
        """`make(entry)` for each entry; one it raises `InvalidInputError` or `ValueError` for
        (a pydantic `ValidationError` among them) is refused with the error's message."""
        split: Split[_Item] = cls()
        for entry in entries:
            try:
                split.keep(make(entry))
            except (InvalidInputError, ValueError) as error:
                split.refuse(error_reason(error))
        return split

    def merge(self, scored: Sequence[_Out], failed: Callable[[str], _Out]) -> list[_Out]:
        """The results in the batch's order: `scored` for the kept items, `failed(reason)` else."""
        if not self.refused:
            return list(scored)
        kept = iter(scored)
        return [
            failed(self.refused[i]) if i in self.refused else next(kept) for i in range(self.size)
        ]

    def score(
        self, score: Callable[[list[_Item]], Sequence[_Out]], failed: Callable[[str], _Out]
    ) -> list[_Out]:
        """Score the kept items in one call (none when every item was refused), then merge."""
        return self.merge(score(self.items) if self.items else [], failed)

    async def ascore(
        self,
        score: Callable[[list[_Item]], Awaitable[Sequence[_Out]]],
        failed: Callable[[str], _Out],
    ) -> list[_Out]:
        """`score` for a coroutine scorer."""
        return self.merge(await score(self.items) if self.items else [], failed)
