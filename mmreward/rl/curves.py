"""`curves.png` from `metrics.jsonl`: accuracy, reward, policy statistics and step time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mmreward.rl.results import read_metrics

PANELS = (
    ("eval/exact_match", "held-out exact match"),
    ("eval/verifier_accuracy", "held-out verifier accuracy"),
    ("reward/mean", "reward (sampled)"),
    ("entropy", "entropy"),
    ("response_length", "response length (tokens)"),
    ("truncated_frac", "truncated fraction"),
    ("kl", "KL to reference"),
    ("clip_frac", "clip fraction"),
    ("groups_all_equal_frac", "groups with equal rewards"),
    ("loss/value", "value loss"),
)
"""Candidates in order; the first eight any run logged are drawn."""


def plot_curves(metrics: Path, target: Path, runs: dict[str, Path] | None = None) -> Path:
    """One figure; with `runs` (label -> metrics file) every run is a line on each panel."""
    return plot_runs(runs or {"run": metrics}, target, PANELS, grid=(2, 4))


def plot_runs(
    runs: dict[str, Path],
    target: Path,
    panels: Sequence[tuple[str, str]],
    *,
    grid: tuple[int, int],
    x_per_step: int = 1,
    x_label: str = "training step",
) -> Path:
    """The first panels (metric, title) any run logged, one line per run.

    Each run keeps one colour on every panel, so a metric that only some runs log (the value
    loss, a dense reward) is not drawn in another run's colour.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    series = {label: read_metrics(path) for label, path in runs.items()}
    logged = [p for p in panels if any(p[0] in line for lines in series.values() for line in lines)]
    rows, columns = grid
    fig, axes = plt.subplots(rows, columns, figsize=(4.25 * columns, 3.6 * rows + 0.3))
    for ax, (key, title) in zip(axes.flat, logged, strict=False):
        for index, (label, lines) in enumerate(series.items()):
            points = [(line["step"] * x_per_step, line[key]) for line in lines if key in line]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, label=label, color=f"C{index % 10}", linewidth=1.2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(x_label)
        ax.grid(alpha=0.3)
    if len(series) > 1:
        handles = [
            Line2D([], [], color=f"C{index % 10}", label=label)
            for index, label in enumerate(series)
        ]
        fig.legend(handles=handles, loc="lower center", ncol=min(len(series), 8))
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target
