"""DAPO's dynamic sampling: groups whose rewards are all equal carry no gradient.

With a group-relative baseline, a group that is all right or all wrong has advantage 0 for
every member, so it only dilutes the batch. DAPO drops such groups and samples more prompts
until the batch is full again.
"""

from __future__ import annotations

import torch


def varied_groups(rewards: torch.Tensor, tol: float = 1e-6) -> torch.Tensor:
    """A bool per group ([prompts, group] rewards): True where the rewards are not all equal."""
    return (rewards.max(dim=1).values - rewards.min(dim=1).values) > tol


def fill_batch(kept: list[int], wanted: int) -> tuple[list[int], bool]:
    """The groups to train on from those kept so far, and whether the batch is full.

    Extra groups beyond `wanted` are cut, as DAPO does, so every step has the same batch size.
    """
    return kept[:wanted], len(kept) >= wanted
