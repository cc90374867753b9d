"""`mmreward train --config FILE --output-dir DIR`: the training loop behind the CLI."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import yaml

from mmreward.errors import InvalidInputError


def add_train_command(commands: Any) -> None:
    """Register the `train` subcommand on the main parser's subparsers."""
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
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override one config field (YAML value), e.g. --set seed=1",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    from mmreward.cli_flags import add_settings_arguments

    add_settings_arguments(train, server=False)  # the in-process engine's settings
    train.set_defaults(handler=_train)


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise InvalidInputError(f"--set takes FIELD=VALUE, not {pair!r}")
        overrides[name.strip()] = yaml.safe_load(value)
    return overrides


def _train(args: argparse.Namespace) -> int:
    # Under a shared CPU, spinning OpenMP threads steal time from everything else.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from mmreward.cli_flags import given_settings, settings_from_args
    from mmreward.rl.run import train

    train(
        args.config,
        args.output_dir,
        overrides=parse_overrides(args.overrides),
        progress=not args.no_progress,
        settings=settings_from_args(args) if given_settings(args) else None,
    )
    return 0
