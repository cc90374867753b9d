"""Wire a config to its reward client, run the loop with a progress bar counting its budget,
draw the curves, say where the results are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from mmreward.clients._adapt import checked_target
from mmreward.clients.scorer import Scorer
from mmreward.rl.config import RLConfig, load_config
from mmreward.rl.curves import plot_curves
from mmreward.rl.results import HEADLINES, read_metrics, summarise
from mmreward.rl.trainer import Trainer
from mmreward.settings import Settings

if TYPE_CHECKING:
    from mmreward.clients import LocalClient, RewardClient


def make_client(config: RLConfig, settings: Settings | None = None) -> RewardClient | LocalClient:
    """`RewardClient(url)` when the config names a server, else an in-process `LocalClient`
    on `settings` (the CLI's engine flags), whose recipes directory the config may name."""
    if config.reward_url:
        from mmreward.clients import RewardClient

        return RewardClient(config.reward_url)
    from mmreward.clients import LocalClient

    settings = settings or Settings(sandbox_workers=1)
    if config.recipes_dir and settings.recipes_dir is None:
        settings = settings.model_copy(update={"recipes_dir": config.path(config.recipes_dir)})
    return LocalClient(settings)


def train(
    config_path: Path,
    output_dir: Path,
    *,
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
    client: Scorer | None = None,
    settings: Settings | None = None,
    say: Callable[[str], None] = print,
) -> Path:
    """Train (or resume) into `output_dir`; returns the path of `curves.png`.

    A run already at its budget trains nothing: `say` tells where its results are (as it
    does at the end of every run)."""
    config = load_config(config_path, **(overrides or {}))
    made = make_client(config, settings) if client is None else None
    scorer = client or made
    assert scorer is not None
    try:
        checked_target(scorer, recipe=config.recipe)  # in-process: a typo fails before step 1
        trainer = Trainer(config, output_dir, scorer)
        finished = trainer.done
        if finished:
            trainer.log.close()
            say(f"{output_dir} already trained to its budget ({trainer.budget.describe()}).")
        else:
            _run_with_bar(trainer, progress)
    finally:
        if made is not None:
            made.close()
    curves = plot_curves(output_dir / "metrics.jsonl", output_dir / "curves.png")
    say(where_results_are(output_dir, config.last_k))
    return curves


def _run_with_bar(trainer: Trainer, progress: bool) -> None:
    budget = trainer.budget
    with tqdm(
        total=budget.total,
        initial=budget.position(trainer.spent),
        disable=not progress,
        unit=budget.unit,
    ) as bar:

        def report(step: int, line: dict[str, Any]) -> None:
            bar.update(budget.position(trainer.spent) - bar.n)
            shown = {"reward": line.get("reward/mean", 0.0), "len": line["response_length"]}
            for key in HEADLINES:
                if key in line:
                    shown[key.removeprefix("eval/")] = line[key]
            bar.set_postfix({k: round(v, 3) for k, v in shown.items()})

        trainer.progress = report
        trainer.run()


def where_results_are(output_dir: Path, k: int) -> str:
    """One paragraph: the run's headline and the files to read."""
    metrics = output_dir / "metrics.jsonl"
    summary = summarise(read_metrics(metrics), k) if metrics.is_file() else None
    head = ""
    if summary is not None:
        head = (
            f"step {summary.steps} ({summary.samples} samples, {summary.wall_s / 60:.1f} min "
            f"wall, {summary.cpu_s / 60:.1f} min CPU): {summary.metric} mean of the last "
            f"{summary.k} evaluations {100 * summary.last_k:.1f}% "
            f"(start {100 * summary.start:.1f}%, gain {100 * summary.gain:+.1f} points). "
        )
    files = ", ".join(
        str(output_dir / name)
        for name in ("metrics.jsonl", "samples.jsonl", "curves.png", "checkpoint/policy")
        if (output_dir / name).exists()
    )
    return f"{head}Results: {files}"
