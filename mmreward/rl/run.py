"""Wire a config to its reward client, run the loop with a progress bar, draw the curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm import tqdm

from mmreward.rl.config import RLConfig, load_config
from mmreward.rl.curves import plot_curves
from mmreward.rl.trainer import RewardScorer, Trainer
from mmreward.settings import Settings


def make_client(config: RLConfig, settings: Settings | None = None) -> Any:
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
    client: RewardScorer | None = None,
    settings: Settings | None = None,
) -> Path:
    """Train (or resume) into `output_dir`; returns the path of `curves.png`."""
    config = load_config(config_path, **(overrides or {}))
    owned = client is None
    scorer: Any = make_client(config, settings) if client is None else client
    try:
        trainer = Trainer(config, output_dir, scorer)
        with tqdm(
            total=config.max_steps, initial=trainer.step, disable=not progress, unit="step"
        ) as bar:

            def report(step: int, line: dict[str, Any]) -> None:
                bar.update(step - bar.n)
                shown = {"reward": line.get("reward/mean", 0.0), "len": line["response_length"]}
                if "eval/accuracy" in line:
                    shown["eval"] = line["eval/accuracy"]
                bar.set_postfix({k: round(v, 3) for k, v in shown.items()})

            trainer.progress = report
            trainer.run()
    finally:
        if owned:
            scorer.close()
    return plot_curves(output_dir / "metrics.jsonl", output_dir / "curves.png")
