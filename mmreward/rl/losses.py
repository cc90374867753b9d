"""Policy, KL and value losses as per-token tensors, and the ways to average them.

Every function is pure. Token tensors are [sequences, response tokens]; `mask` is 1 on real
response tokens (the EOS included) and 0 on padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mmreward.rl.config import LossAggregation


def clipped_policy_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    eps_low: float,
    eps_high: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped surrogate per token, and where the clip was active (0/1).

    loss = -min(ratio * A, clip(ratio, 1 - eps_low, 1 + eps_high) * A). The pessimistic min
    removes the incentive to move the ratio beyond the clip range. DAPO raises `eps_high` so a
    rare token with positive advantage can still grow ("clip-higher").
    """
    ratio = torch.exp(logp - old_logp)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - eps_low, 1.0 + eps_high) * advantages
    loss = -torch.minimum(unclipped, clipped)
    return loss, (clipped < unclipped).float()


def clip_sides(
    clipped: torch.Tensor, advantages: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split where the clip acted into its low and high side (0/1 each).

    The clip binds above (ratio > 1 + eps_high) only where the advantage is positive and below
    (ratio < 1 - eps_low) only where it is negative, so the advantage's sign tells the sides
    apart. DAPO's clip-higher changes only the high side's share.
    """
    return clipped * (advantages < 0).float(), clipped * (advantages > 0).float()


def k3_kl(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Schulman's k3 estimate of KL(policy || reference) per sampled token.

    exp(ref - logp) - (ref - logp) - 1: unbiased, always >= 0 and of low variance, unlike the
    plain log-ratio (GRPO uses it as a loss term rather than a reward penalty).
    """
    log_ratio = ref_logp - logp
    return torch.exp(log_ratio) - log_ratio - 1.0


def clipped_value_loss(
    values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, clip: float
) -> torch.Tensor:
    """Per-token 0.5 * max((V - R)^2, (V_clipped - R)^2), V_clipped within `clip` of the old V.

    The max keeps the critic from jumping far from the values the advantages were built on.
    """
    clipped = old_values + torch.clamp(values - old_values, -clip, clip)
    return 0.5 * torch.maximum((values - returns) ** 2, (clipped - returns) ** 2)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of each position's next-token distribution."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(dim=-1)


@dataclass(frozen=True)
class Normaliser:
    """What one batch's loss is divided by, fixed before it is split into micro-batches.

    Gradient accumulation sums micro-batch losses, so each must be divided by the whole
    batch's token or sequence count, not its own, or the aggregation changes with the split.
    """

    tokens: float
    sequences: float
    max_tokens: float


def normaliser(mask: torch.Tensor, max_tokens: int) -> Normaliser:
    return Normaliser(float(mask.sum()), float(mask.shape[0]), float(max_tokens))


def aggregate(
    per_token: torch.Tensor, mask: torch.Tensor, how: LossAggregation, norm: Normaliser
) -> torch.Tensor:
    """Reduce a per-token loss to the scalar whose micro-batch sums give the batch's loss.

    token-mean (DAPO): every token of the batch weighs the same, so long responses are not
    diluted. seq-mean-token-mean (GRPO): each sequence's mean, then the mean over sequences;
    a token of a short response weighs more. seq-mean-token-sum-norm (Dr. GRPO): token sums
    over a constant (sequences x max_tokens), so length biases neither way.
    """
    masked = per_token * mask
    if how == "token-mean":
        return masked.sum() / max(norm.tokens, 1.0)
    if how == "seq-mean-token-mean":
        lengths = mask.sum(dim=1).clamp(min=1.0)
        return (masked.sum(dim=1) / lengths).sum() / norm.sequences
    return masked.sum() / (norm.sequences * norm.max_tokens)
