"""Clients: the HTTP clients and the in-process ones, with one interface, and framework adapters.

`RewardClient` / `LocalClient` block; `AsyncRewardClient` / `AsyncLocalClient` are their async
twins. All four offer `verify`, `reward`, `prm_score`, `orm_score` and `grounding_score` with the
same arguments and typed results.
"""

from mmreward.clients._http import AsyncRewardClient, RewardClient
from mmreward.clients._local import AsyncLocalClient, LocalClient

__all__ = ["AsyncLocalClient", "AsyncRewardClient", "LocalClient", "RewardClient"]
