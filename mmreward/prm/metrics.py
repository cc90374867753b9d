"""ProcessBench-style evaluation: exact first-error index on erroneous and on correct chains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StepEvaluation:
    """Accuracy on erroneous chains, on correct chains, and their harmonic mean."""

    error_accuracy: float
    correct_accuracy: float
    f1: float
    n_error: int
    n_correct: int

    def summary(self) -> str:
        """One line for logs and reports."""
        return (
            f"F1 {self.f1:.4f} (erroneous {self.error_accuracy:.4f} on {self.n_error}, "
            f"correct {self.correct_accuracy:.4f} on {self.n_correct})"
        )


def first_error(scores: Sequence[float], threshold: float = 0.5) -> int:
    """Index of the first step scored below ``threshold``; -1 when none is."""
    return next((i for i, s in enumerate(scores) if s < threshold), -1)


def first_error_f1(predicted: Sequence[int], truth: Sequence[int]) -> StepEvaluation:
    """Compare predicted and true first-error indices (-1 = correct chain)."""
    if len(predicted) != len(truth):
        raise ValueError("predicted and truth differ in length")
    err = [p == t for p, t in zip(predicted, truth, strict=True) if t != -1]
    ok = [p == t for p, t in zip(predicted, truth, strict=True) if t == -1]
    acc_err = sum(err) / len(err) if err else 0.0
    acc_ok = sum(ok) / len(ok) if ok else 0.0
    f1 = 2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err + acc_ok else 0.0
    return StepEvaluation(acc_err, acc_ok, f1, len(err), len(ok))
