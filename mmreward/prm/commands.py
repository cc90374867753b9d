"""`mmreward prm generate|train|eval`: synthetic data, the trainer, ProcessBench-style F1."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from mmreward.prm.config import PRM_FORMATS


def add_prm_command(commands: Any) -> None:
    """Register the `prm` subcommand on the main parser's subparsers."""
    prm = commands.add_parser("prm", help="process reward model: data, training, evaluation")
    actions = prm.add_subparsers(dest="prm_command", required=True)

    gen = actions.add_parser("generate", help="write synthetic arithmetic chains as JSONL")
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--n", type=int, default=100_000)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--error-rate", type=float, default=0.5, help="share of erroneous chains")
    gen.add_argument("--redundant-parens", type=float, default=0.08, help="per inner operation")
    gen.add_argument("--root-parens", type=float, default=0.0, help="whole expression wrapped")
    gen.add_argument(
        "--operand-weights",
        type=float,
        nargs=3,
        metavar=("W3", "W4", "W5"),
        help="relative weights of 3, 4 and 5 operands (default: uniform)",
    )
    gen.add_argument(
        "--last-error", type=float, default=0.0, help="share of step errors on the last operation"
    )
    gen.set_defaults(handler=_generate)

    train = actions.add_parser(
        "train", help="train a token-cls PRM on stepwise JSONL (defaults: the bundled model)"
    )
    train.add_argument("--data", type=Path, required=True, help='{"prompt","completions","labels"}')
    train.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    train.add_argument("--eval-data", type=Path, help="held-out JSONL; best checkpoint is kept")
    train.add_argument("--init", type=Path, help="start from this checkpoint (else tiny Qwen2)")
    train.add_argument(
        "--add-layers", type=int, help="deepen the --init model by this many identity layers"
    )
    train.add_argument("--hidden-size", type=int, help="from-scratch model width")
    train.add_argument("--layers", type=int, help="from-scratch model depth")
    train.add_argument("--heads", type=int, help="from-scratch attention heads")
    train.add_argument("--lm-steps", type=int, help="causal-LM pretraining steps")
    train.add_argument("--steps", type=int, help="classification steps")
    train.add_argument("--lm-weight", type=float, help="auxiliary LM loss weight")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float)
    train.add_argument("--warmup", type=int)
    train.add_argument("--curriculum", type=float, help="share of steps to widen to all data")
    train.add_argument("--max-tokens", type=int)
    train.add_argument("--separator", help='step separator (default "\\n")')
    train.add_argument("--eval-every", type=int)
    train.add_argument("--max-minutes", type=float, help="stop early after this long")
    train.add_argument("--threads", type=int, help="CPU threads (1 is fastest on a busy box)")
    train.add_argument("--device")
    train.add_argument("--seed", type=int)
    train.set_defaults(handler=_train)

    ev = actions.add_parser("eval", help="first-error F1 on fresh synthetic chains or a JSONL")
    ev.add_argument("--model", type=Path, help="checkpoint directory; the bundled PRM if unset")
    ev.add_argument("--format", choices=PRM_FORMATS, help="checkpoint convention")
    ev.add_argument("--data", type=Path, help="stepwise JSONL; else fresh synthetic chains")
    ev.add_argument("--n", type=int, default=2000, help="synthetic chains to draw")
    ev.add_argument("--seed", type=int, default=2024)
    ev.add_argument("--threshold", type=float, default=0.5)
    ev.add_argument("--device", default="auto")
    ev.set_defaults(handler=_eval)


def _generate(args: argparse.Namespace) -> int:
    from mmreward.prm.synthetic import make_dataset

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        chains = make_dataset(
            args.n,
            args.seed,
            error_p=args.error_rate,
            redundant_p=args.redundant_parens,
            root_parens_p=args.root_parens,
            operand_weights=tuple(args.operand_weights) if args.operand_weights else None,
            last_error_p=args.last_error,
        )
        for chain in chains:
            fh.write(json.dumps(chain.to_record()) + "\n")
    return 0


def _train(args: argparse.Namespace) -> int:
    from mmreward.prm.train import TrainConfig, train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    fields = {
        k: v
        for k, v in vars(args).items()
        if k in TrainConfig.__dataclass_fields__ and v is not None
    }
    train(TrainConfig(**fields))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from mmreward.prm.evaluate import evaluate_chains, load_chains

    chains = load_chains(args.data, args.n, args.seed)
    report = evaluate_chains(chains, args.model, args.format, args.threshold, args.device)
    print(json.dumps(report, indent=2))
    return 0
