"""Which prompts each step trains on: uniform, a curriculum by pass rate, or prioritized.

A prompt's pass rate comes from a relabeling run's column (`mmreward relabel` writes one) or is
measured online as a running mean of its groups' accuracy. The curriculum opens the easiest
prompts first and widens to all of them over the run; prioritized sampling weighs a prompt by
p(1 - p), the variance of its reward, so steps go to prompts the policy sometimes solves:
their groups still vary and carry gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mmreward.rl.config import PromptOrder

UNKNOWN = 0.5
"""Prior pass rate of a prompt never seen: the value of most uncertainty."""


class PromptPool:
    def __init__(
        self,
        size: int,
        order: PromptOrder,
        seed: int,
        pass_rates: list[float | None] | None = None,
        curriculum_start: float = 0.3,
        momentum: float = 0.5,
    ) -> None:
        if size < 1:
            raise ValueError("no training prompts")
        self.size = size
        self.order = order
        self.curriculum_start = curriculum_start
        self.momentum = momentum
        rates = pass_rates or [None] * size
        self.pass_rate = np.array([UNKNOWN if r is None else r for r in rates], dtype=float)
        self.rng = np.random.default_rng(seed)
        self._queue: list[int] = []

    def sample(self, n: int, progress: float) -> list[int]:
        """`n` prompt indices; `progress` in [0, 1] is how far the run is (curriculum)."""
        if self.order == "prioritized":
            weights = self.pass_rate * (1.0 - self.pass_rate) + 0.01
            return self._draw(np.arange(self.size), weights, n)
        if self.order == "curriculum":
            open_fraction = self.curriculum_start + (1.0 - self.curriculum_start) * progress
            count = max(1, round(open_fraction * self.size))
            # Stable sort: prompts of equal pass rate keep their file order.
            easiest = np.argsort(-self.pass_rate, kind="stable")[:count]
            return self._draw(easiest, np.ones(len(easiest)), n)
        return [self._next() for _ in range(n)]

    def update(self, index: int, accuracy: float) -> None:
        """Fold one group's measured accuracy into the prompt's pass-rate estimate."""
        old = self.pass_rate[index]
        self.pass_rate[index] = self.momentum * old + (1.0 - self.momentum) * accuracy

    def _next(self) -> int:
        """Epochs of shuffled prompts: every prompt once before any twice."""
        if not self._queue:
            self._queue = self.rng.permutation(self.size).tolist()
        return self._queue.pop()

    def _draw(self, candidates: np.ndarray, weights: np.ndarray, n: int) -> list[int]:
        replace = n > len(candidates)
        chosen = self.rng.choice(candidates, size=n, replace=replace, p=weights / weights.sum())
        return [int(i) for i in chosen]

    def state_dict(self) -> dict[str, Any]:
        return {
            "pass_rate": self.pass_rate.tolist(),
            "rng": self.rng.bit_generator.state,
            "queue": list(self._queue),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pass_rate = np.array(state["pass_rate"], dtype=float)
        self.rng.bit_generator.state = state["rng"]
        self._queue = list(state["queue"])
