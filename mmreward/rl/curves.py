"""`curves.png` from `metrics.jsonl`: accuracy, reward, policy statistics and step time."""

from __future__ import annotations

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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {label: read_metrics(p) for label, p in (runs or {"run": metrics}).items()}
    logged = [p for p in PANELS if any(p[0] in line for lines in series.values() for line in lines)]
    fig, axes = plt.subplots(2, 4, figsize=(17, 7))
    for ax, (key, title) in zip(axes.flat, logged[:8], strict=False):
        for label, lines in series.items():
            points = [(line["step"], line[key]) for line in lines if key in line]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, label=label, linewidth=1.2)
        ax.set_title(title)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if len(series) > 1 and handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(len(series), 8))
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target
