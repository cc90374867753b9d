"""mmreward: rewards for RL training of (multimodal) language models.

One engine behind every door: the HTTP service, the in-process clients, relabeling and training.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmreward.verifiers import Verdict, verify

if TYPE_CHECKING:
    from mmreward.clients import AsyncLocalClient, AsyncRewardClient, LocalClient, RewardClient

__all__ = [
    "AsyncLocalClient",
    "AsyncRewardClient",
    "LocalClient",
    "RewardClient",
    "Verdict",
    "verify",
]
__version__ = "0.1.0"

_CLIENTS = frozenset({"AsyncLocalClient", "AsyncRewardClient", "LocalClient", "RewardClient"})


def __getattr__(name: str) -> Any:
    # Clients pull in the engine and its models (torch); sandbox workers import this package
    # under a 1 GiB address-space limit and must not pay for them.
    if name in _CLIENTS:
        from mmreward import clients

        return getattr(clients, name)
    raise AttributeError(f"module 'mmreward' has no attribute {name!r}")
