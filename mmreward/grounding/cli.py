"""`mmreward grounding train|evaluate`: rebuild the bundled detector, measure the rewards."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_grounding_command(commands: Any) -> None:
    """Register the `grounding` subcommand on the main parser's subparsers."""
    grounding = commands.add_parser("grounding", help="detector training and reward evaluation")
    actions = grounding.add_subparsers(dest="grounding_command", required=True)

    train = actions.add_parser("train", help="train the shapes detector on generated data")
    from mmreward.grounding.train import add_arguments

    add_arguments(train)
    train.set_defaults(handler=_train)

    evaluate = actions.add_parser("evaluate", help="reward figures on a fresh synthetic sample")
    evaluate.add_argument("--detector", type=Path, help="YOLO .pt; the bundled one by default")
    evaluate.add_argument("--scenes", type=int, default=500)
    evaluate.add_argument("--seed", type=int, default=12345)
    evaluate.add_argument("--map-workdir", type=Path, help="also measure mAP50 (files go here)")
    evaluate.set_defaults(handler=_evaluate)


def _train(args: argparse.Namespace) -> int:
    from mmreward.grounding.train import run

    run(args)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from mmreward.grounding.evaluate import report

    figures = report(args.detector, args.scenes, args.seed, args.map_workdir)
    print(json.dumps(figures, indent=2))
    return 0
