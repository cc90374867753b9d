"""`mmreward relabel INPUT OUTPUT`: score a whole dataset with any capability, here or on Ray."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mmreward.jobs.formats import FORMATS, JobError


def _param_value(text: str) -> Any:
    """JSON when it parses (`tolerance=0.01`, `strict=true`), the text itself otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def add_relabel_command(commands: Any) -> None:
    """Register the `relabel` subcommand on the main parser's subparsers."""
    from mmreward.cli_flags import add_settings_arguments, at_least, count, name_value
    from mmreward.jobs.kinds import ITEM_FIELDS
    from mmreward.prm.steps import STEP_SEPARATOR

    parser = commands.add_parser(
        "relabel",
        help="add reward columns to every row of a dataset (resumable; local or Ray)",
        description=__doc__,
        usage="%(prog)s SOURCE TARGET (--verifier NAME | --recipe NAME | --prm | --orm | "
        "--grounding) [--map FIELD=COLUMN ...] [options]",
    )
    parser.add_argument("source", type=Path, help="JSONL, Parquet or `datasets` directory")
    parser.add_argument("target", type=Path, help="output; never the input")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--verifier", help="a verifier name (math, chart, choice, ...)")
    what.add_argument("--recipe", help="a recipe name: total plus one column per component")
    what.add_argument("--prm", action="store_true", help="process reward model step scores")
    what.add_argument("--orm", action="store_true", help="outcome reward model (--orm-model)")
    what.add_argument("--grounding", action="store_true", help="detection-grounded reward")

    job = parser.add_argument_group("job")
    job.add_argument(
        "--map",
        type=name_value,
        nargs="+",
        action="extend",
        default=[],
        metavar="FIELD=COLUMN",
        help=f"input column of an item field: {' '.join(sorted(ITEM_FIELDS))} "
        "(e.g. --map response=completion reference=answer)",
    )
    job.add_argument(
        "--param",
        type=name_value,
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="verifier or grounding parameter; VALUE is JSON when it parses",
    )
    job.add_argument("--output-column", default="reward", help="prefix of the added columns")
    job.add_argument("--aggregate", choices=("min", "prod", "mean", "last"), default="min")
    job.add_argument("--threshold", type=float, default=0.5, help="PRM step threshold")
    job.add_argument(
        "--step-separator", default=STEP_SEPARATOR, help="PRM steps split from a response"
    )
    job.add_argument(
        "--task", choices=("hallucination", "count", "grounding"), default="hallucination"
    )
    job.add_argument("--chunk-rows", type=int, default=512, help="rows per checkpointed part")
    job.add_argument("--input-format", choices=FORMATS, help="default: by extension")
    job.add_argument("--output-format", choices=FORMATS, help="default: by extension")
    job.add_argument("--restart", action="store_true", help="discard an earlier run's parts")
    job.add_argument("--no-progress", action="store_true", help="no progress bar")
    job.add_argument("--summary-json", type=Path, help="also write the summary here")

    pick = parser.add_argument_group("selection")
    pick.add_argument("--group-by", help="column naming the prompt: adds pass_rate per prompt")
    pick.add_argument("--keep-best-of", type=int, metavar="N", help="N best rows per prompt")
    pick.add_argument("--min-reward", type=float, metavar="X", help="keep rows with reward >= X")
    pick.add_argument(
        "--pass-threshold",
        type=float,
        metavar="X",
        help="reward at which a sample counts as solved (default 1.0; 0.5 for --prm/--orm)",
    )

    dist = parser.add_argument_group("Ray Data")
    dist.add_argument(
        "--ray-address",
        metavar="auto|ray://HOST:PORT|local",
        help="run on Ray: join a cluster, or start a local one",
    )
    dist.add_argument("--ray-actors", type=count, default=2, help="engines (one per actor)")
    share = at_least(float, 0, "a number")
    dist.add_argument("--ray-cpus", type=share, default=0.5, help="CPUs per actor (fractional)")
    dist.add_argument("--ray-gpus", type=share, help="GPUs per actor (default 1 for models)")

    add_settings_arguments(parser, server=False)
    parser.set_defaults(handler=_relabel)


def _spec(args: argparse.Namespace) -> Any:
    from mmreward.jobs.spec import RelabelSpec

    capability, name = "verifier", args.verifier or "math"
    if args.recipe:
        capability, name = "recipe", args.recipe
    for flag in ("prm", "orm", "grounding"):
        if getattr(args, flag):
            capability, name = flag, ""
    return RelabelSpec(
        capability=capability,
        name=name,
        params={key: _param_value(value) for key, value in args.param},
        columns=dict(args.map),
        output=args.output_column,
        aggregate=args.aggregate,
        threshold=args.threshold,
        step_separator=args.step_separator,
        task=args.task,
        chunk_rows=args.chunk_rows,
        pass_threshold=args.pass_threshold,
        group_by=args.group_by,
        keep_best_of=args.keep_best_of,
        min_reward=args.min_reward,
    )


def _relabel(args: argparse.Namespace) -> int:
    from mmreward.cli_flags import settings_from_args
    from mmreward.jobs.runner import RayOptions, check_paths, relabel, write_summary
    from mmreward.jobs.summary import render

    try:
        spec = _spec(args)
        if args.summary_json is not None:
            check_paths(args.source, args.target, args.summary_json)
            if args.summary_json.resolve() == args.target.resolve():
                raise JobError("--summary-json must not be the output")
        ray = None
        if args.ray_address:
            ray = RayOptions(args.ray_address, args.ray_actors, args.ray_cpus, args.ray_gpus)
        summary = relabel(
            spec,
            args.source,
            args.target,
            settings=settings_from_args(args),
            input_format=args.input_format,
            output_format=args.output_format,
            ray=ray,
            restart=args.restart,
            progress=not args.no_progress,
        )
    except ValidationError as error:
        reasons = "; ".join(e["msg"] for e in error.errors())
        print(f"mmreward relabel: error: {reasons}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "mmreward relabel: interrupted; run the same command again to continue",
            file=sys.stderr,
        )
        return 130
    sys.stderr.write(render(summary))
    if args.summary_json is not None:
        write_summary(args.summary_json, summary)
    return 0
