"""Framework adapters in one importable place (`pkg://mmreward.clients.adapters` for verl).

The adapters themselves live in one module per framework: `mmreward.clients.trl`, `.verl`,
`.openrlhf`, `.easyr1`, `.verifiers`, `.areal` and `.slime` (the last three are used by their
module path and not re-exported here); each works with `RewardClient`, `AsyncRewardClient`,
`LocalClient` and `AsyncLocalClient`, and scores with a single verifier or a whole recipe.
"""

from __future__ import annotations

from mmreward.clients._adapt import ABSTAIN, shared_client
from mmreward.clients.openrlhf import locate_response, openrlhf_rewards, reward_func
from mmreward.clients.trl import (
    AsyncTRLReward,
    TRLReward,
    async_trl_reward_func,
    completion_text,
    trl_component_funcs,
    trl_reward_func,
)
from mmreward.clients.verl import (
    compute_score,
    compute_score_batch,
    compute_score_float,
    compute_score_sync,
    verl_score,
)

__all__ = [
    "ABSTAIN",
    "AsyncTRLReward",
    "TRLReward",
    "async_trl_reward_func",
    "completion_text",
    "compute_score",
    "compute_score_batch",
    "compute_score_float",
    "compute_score_sync",
    "locate_response",
    "openrlhf_rewards",
    "reward_func",
    "shared_client",
    "trl_component_funcs",
    "trl_reward_func",
    "verl_score",
]
