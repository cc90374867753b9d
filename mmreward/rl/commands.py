"""`mmreward train --config FILE --output-dir DIR`: the training loop behind the CLI."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml


def add_train_command(commands: Any) -> None:
    """Register the `train` subcommand on the main parser's subparsers."""
    from mmreward.cli_flags import add_settings_arguments, name_value

    train = commands.add_parser(
        "train",
        help="RL-train a local policy on a reward recipe",
        usage="%(prog)s --config FILE --output-dir DIR [--set FIELD=VALUE ...] [options]",
    )
    train.add_argument("--config", type=Path, required=True, help="YAML file of RLConfig fields")
    train.add_argument("--output-dir", type=Path, required=True, help="metrics, curves, checkpoint")
    train.add_argument(
        "--set",
        dest="overrides",
        type=name_value,
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override one config field (YAML value), e.g. --set seed=1",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_settings_arguments(train, server=False)  # the in-process engine's settings
    train.set_defaults(handler=_train)


def _train(args: argparse.Namespace) -> int:
    # Under a shared CPU, spinning OpenMP threads steal time from everything else.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from mmreward.cli_flags import given_settings, settings_from_args
    from mmreward.rl.run import train

    train(
        args.config,
        args.output_dir,
        overrides={name.strip(): yaml.safe_load(value) for name, value in args.overrides},
        progress=not args.no_progress,
        settings=settings_from_args(args) if given_settings(args) else None,
    )
    return 0
