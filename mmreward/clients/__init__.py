"""Clients: the HTTP client (sync and async), the in-process client, and framework adapters."""

from mmreward.clients._http import AsyncRewardClient, RewardClient
from mmreward.clients._local import LocalClient

__all__ = ["AsyncRewardClient", "LocalClient", "RewardClient"]
