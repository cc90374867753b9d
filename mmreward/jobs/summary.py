"""The end-of-job summary: rows, status counts, mean and pass share per component, histogram."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any, TypeGuard

from pydantic import BaseModel, Field

BINS = 10


class ComponentSummary(BaseModel):
    mean: float = Field(description="mean score over scored rows")
    accuracy: float = Field(description="share of scored rows at or above the pass threshold")


class Summary(BaseModel):
    """What the job did; `--summary-json` writes exactly this."""

    rows: int = 0
    written: int = Field(0, description="rows in the output after --keep-best-of/--min-reward")
    errors: int = Field(0, description="rows that became error verdicts (bad JSON, images...)")
    by_status: dict[str, int] = Field(default_factory=dict)
    mean_reward: float | None = None
    pass_threshold: float = 1.0
    components: dict[str, ComponentSummary] = Field(default_factory=dict)
    histogram: list[int] = Field(
        default_factory=lambda: [0] * BINS,
        description="scored rows per reward bin of width 0.1 on [0, 1]; outside values clip",
    )
    chunks_resumed: int = Field(0, description="checkpointed parts reused from an earlier run")


def summarize(
    added: Sequence[dict[str, Any]], prefix: str, passing: float, kept: int, resumed: int
) -> Summary:
    """Rows with status `error` count as errors; every mean is over the other rows' finite
    values (an infinite or NaN score is in the output, not in the means or the histogram)."""
    summary = Summary(rows=len(added), written=kept, pass_threshold=passing, chunks_resumed=resumed)
    status_key = f"{prefix}_status"
    parts = _component_names(added, prefix)
    totals: dict[str, list[float]] = {name: [] for name in parts}
    for columns in added:
        status = str(columns.get(status_key))
        summary.by_status[status] = summary.by_status.get(status, 0) + 1
        if status == "error":
            summary.errors += 1
            continue
        for name, key in parts.items():
            value = columns.get(key)
            if _finite_number(value):
                totals[name].append(float(value))
    rewards = totals.get("total", [])
    if rewards:
        summary.mean_reward = sum(rewards) / len(rewards)
    for reward in rewards:
        summary.histogram[min(BINS - 1, max(0, int(reward * BINS)))] += 1
    for name, values in totals.items():
        if values:
            threshold = passing if name == "total" else 1.0
            summary.components[name] = ComponentSummary(
                mean=sum(values) / len(values),
                accuracy=sum(v >= threshold for v in values) / len(values),
            )
    return summary


def _finite_number(value: Any) -> TypeGuard[float]:
    """A NaN from a model would poison every mean and has no histogram bin."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _component_names(added: Sequence[dict[str, Any]], prefix: str) -> dict[str, str]:
    """`total` for the reward, then each numeric per-component column of a recipe."""
    names = {"total": prefix}
    fixed = {"status", "reason", "correct", "extracted", "step_scores", "first_error", "score"}
    for columns in added:
        for key, value in columns.items():
            part = key.removeprefix(f"{prefix}_")
            if (
                key.startswith(f"{prefix}_")
                and part not in fixed
                and isinstance(value, (int, float))
                and not isinstance(value, bool)
            ):
                names.setdefault(part, key)
    return names


def render(summary: Summary) -> str:
    """The summary as text tables (rich), for stderr."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=False, color_system=None)
    head = Table(title="relabel summary", show_header=False)
    head.add_row("rows", str(summary.rows))
    head.add_row("written", str(summary.written))
    head.add_row("error rows", str(summary.errors))
    for status, count in sorted(summary.by_status.items()):
        head.add_row(f"status {status}", str(count))
    if summary.chunks_resumed:
        head.add_row("parts resumed", str(summary.chunks_resumed))
    console.print(head)
    if summary.components:
        table = Table(title=f"per component (pass: total >= {summary.pass_threshold:g})")
        for column in ("component", "mean", "accuracy"):
            table.add_column(column)
        for name, part in summary.components.items():
            table.add_row(name, f"{part.mean:.4f}", f"{part.accuracy:.2%}")
        console.print(table)
    top = max(summary.histogram) or 1
    histogram = Table(title="reward histogram", show_header=False)
    for i, count in enumerate(summary.histogram):
        low = i / BINS
        bar = "#" * round(30 * count / top)
        close = "]" if i == BINS - 1 else ")"
        histogram.add_row(Text(f"[{low:.1f}, {low + 1 / BINS:.1f}{close}"), str(count), bar)
    console.print(histogram)
    return buffer.getvalue()
