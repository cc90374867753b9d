"""How long a run trains: steps, samples or (for a quick local look) seconds.

Steps and samples are the same work on any machine, so a figure measured with them
reproduces; seconds depend on how busy the machine was. Whichever limit is reached first
ends the run; the progress bar counts the first of samples, steps, seconds that is set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Spent:
    """What a run has used so far."""

    steps: int
    samples: int
    seconds: float


@dataclass(frozen=True)
class Budget:
    """The limits of a run; 0 is no limit of that kind (at least one is set)."""

    steps: int
    samples: int
    seconds: float
    clock: str = "wall"

    def fractions(self, spent: Spent) -> list[float]:
        pairs = (
            (self.samples, spent.samples),
            (self.steps, spent.steps),
            (self.seconds, spent.seconds),
        )
        return [used / limit for limit, used in pairs if limit > 0]

    def progress(self, spent: Spent) -> float:
        """How far the run is, by the limit it is closest to reaching (0..1)."""
        return min(1.0, max(self.fractions(spent), default=0.0))

    def reached(self, spent: Spent) -> bool:
        return any(fraction >= 1.0 for fraction in self.fractions(spent))

    @property
    def unit(self) -> str:
        """What the progress bar counts."""
        if self.samples > 0:
            return "sample"
        return "step" if self.steps > 0 else f"{self.clock}-s"

    @property
    def total(self) -> float:
        if self.samples > 0:
            return float(self.samples)
        return float(self.steps) if self.steps > 0 else self.seconds

    def position(self, spent: Spent) -> float:
        if self.samples > 0:
            return float(spent.samples)
        return float(spent.steps) if self.steps > 0 else spent.seconds

    def describe(self) -> str:
        parts = [f"{self.steps} steps"] if self.steps > 0 else []
        parts += [f"{self.samples} samples"] if self.samples > 0 else []
        parts += [f"{self.seconds:g} {self.clock}-s"] if self.seconds > 0 else []
        return " or ".join(parts)
