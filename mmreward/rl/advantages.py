"""Advantages: how much better a sampled response (or token) was than expected.

Pure tensor functions. Shapes: `rewards` of a grouped batch is [prompts, group]; token tensors
are [sequences, response tokens] with a 0/1 `mask` over real (non-padding) tokens.
"""

from __future__ import annotations

import torch

from mmreward.rl.config import RewardScaling

EPS = 1e-6
"""Added to a standard deviation so a group of equal rewards gives 0, not NaN."""


def group_advantages(
    rewards: torch.Tensor, scale: RewardScaling = "group", eps: float = EPS
) -> torch.Tensor:
    """GRPO's baseline: each reward minus its group's mean, over a std (or not).

    `group` divides by the group's std (DeepSeekMath); Dr. GRPO (`none`) keeps the raw
    difference because dividing by std up-weights prompts that are nearly always right or
    nearly always wrong; `batch` divides by one std over the batch (a softer normalisation).
    Returns one advantage per sequence, same shape as `rewards`.
    """
    centred = rewards - rewards.mean(dim=1, keepdim=True)
    if scale == "group":
        return centred / (rewards.std(dim=1, keepdim=True) + eps)
    if scale == "batch":
        return centred / (rewards.std() + eps)
    return centred


def whiten(values: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Zero mean and unit variance over the masked entries (PPO advantage normalisation)."""
    count = mask.sum()
    mean = (values * mask).sum() / count
    var = (((values - mean) * mask) ** 2).sum() / count
    return (values - mean) * torch.rsqrt(var + eps) * mask


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    mask: torch.Tensor,
    gamma: float,
    lam: float,
) -> torch.Tensor:
    """Generalised advantage estimation (Schulman et al. 2016) over each response's tokens.

    delta_t = r_t + gamma * V_{t+1} - V_t, A_t = delta_t + gamma * lam * A_{t+1}, with V and A
    zero after the last real token. lam = 1 is the Monte-Carlo return minus V (unbiased,
    noisy); lam = 0 is the one-step TD error (biased by the critic, quiet).
    """
    values = values * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    next_value = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(rewards.shape[1])):
        m = mask[:, t]
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = (delta + gamma * lam * running) * m
        advantages[:, t] = running
        # Padding after a response keeps the carried values at zero.
        next_value = values[:, t] * m + next_value * (1 - m)
    return advantages


def decoupled_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    mask: torch.Tensor,
    gamma: float,
    lam_actor: float,
    lam_critic: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """VC-PPO's decoupled GAE: the policy's advantages with `lam_actor`, the critic's targets
    (returns = advantages + values) with `lam_critic`.

    With a reward only at the end, lam < 1 decays the signal before it reaches early tokens'
    value targets; 1.0 for the critic keeps them unbiased while the actor keeps lower variance.
    """
    advantages = gae(rewards, values, mask, gamma, lam_actor)
    if lam_critic == lam_actor:
        critic_advantages = advantages
    else:
        critic_advantages = gae(rewards, values, mask, gamma, lam_critic)
    returns = (critic_advantages + values) * mask
    return advantages, returns


def token_rewards(
    outcome: torch.Tensor,
    mask: torch.Tensor,
    dense: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-token rewards for PPO: the outcome reward on each response's last real token, plus
    optional dense (process) rewards already placed at step-end tokens."""
    lengths = mask.sum(dim=1).long()
    rewards = torch.zeros_like(mask, dtype=outcome.dtype)
    has_tokens = lengths > 0
    rows = torch.arange(mask.shape[0])[has_tokens]
    rewards[rows, lengths[has_tokens] - 1] = outcome[has_tokens]
    if dense is not None:
        rewards = rewards + dense * mask
    return rewards
