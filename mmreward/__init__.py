"""mmreward: rewards for RL training of (multimodal) language models.

One engine behind three doors: the HTTP service, the in-process client and batch relabeling.
"""

from mmreward.clients import AsyncRewardClient, LocalClient, RewardClient
from mmreward.verifiers import Verdict, verify

__all__ = ["AsyncRewardClient", "LocalClient", "RewardClient", "Verdict", "verify"]
__version__ = "0.1.0"
