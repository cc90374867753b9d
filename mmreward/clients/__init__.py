"""Clients: the HTTP clients and the in-process ones, with one interface, and framework adapters.

`RewardClient` / `LocalClient` block; `AsyncRewardClient` / `AsyncLocalClient` are their async
twins. All four offer `verify`, `reward`, `prm_score`, `orm_score` and `grounding_score` with the
same arguments and typed results (`mmreward.clients.scorer`). The in-process pair is imported on
first use: it brings the engine, which an HTTP caller never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmreward.clients._http import AsyncRewardClient, RewardClient
from mmreward.clients.scorer import AsyncScorer, Scorer

if TYPE_CHECKING:
    from mmreward.clients._local import AsyncLocalClient, LocalClient

__all__ = [
    "AsyncLocalClient",
    "AsyncRewardClient",
    "AsyncScorer",
    "LocalClient",
    "RewardClient",
    "Scorer",
]


def __getattr__(name: str) -> Any:
    if name in ("LocalClient", "AsyncLocalClient"):
        from mmreward.clients import _local

        return getattr(_local, name)
    raise AttributeError(f"module 'mmreward.clients' has no attribute {name!r}")
