"""PRM first-error accuracy on chains from the separately written generator.

`tests/helpers/prm_heldout_chains.py` draws chains of the bundled PRM's documented format without
the training generator's code. Each row is one mix of that generator; the columns are the model
under test (the bundled PRM unless ``--model``) and, with ``--baseline``, a second checkpoint scored
on the same chains in the same run:

    python bench/prm_heldout.py --n 4000 --seed 2718 [--baseline DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))

from prm_heldout_chains import HeldoutChain, heldout_chains

from mmreward.prm.evaluate import evaluate_chains
from mmreward.prm.synthetic import Chain

VARIANTS: dict[str, dict[str, Any]] = {
    "documented mix": {},
    "errors at the last operation": {"place": "last"},
    "post-order steps": {"order_shares": (1.0, 0.0, 0.0)},
    "innermost-first steps": {"order_shares": (0.0, 1.0, 0.0)},
    "any valid order": {"order_shares": (0.0, 0.0, 1.0)},
}


def as_chain(chain: HeldoutChain) -> Chain:
    """The evaluator's container (labels: steps before the first error are correct)."""
    k = chain.first_error
    labels = [k == -1 or i < k for i in range(len(chain.steps))]
    return Chain(chain.problem, chain.steps, labels, k, chain.kind)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="chains per variant")
    parser.add_argument("--seed", type=int, default=2718)
    parser.add_argument("--model", type=Path, help="checkpoint (default: the bundled PRM)")
    parser.add_argument("--baseline", type=Path, help="second checkpoint, same chains")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models: list[tuple[str, Path | None]] = [(str(args.model or "bundled"), args.model)]
    if args.baseline is not None:
        models.append((str(args.baseline), args.baseline))
    print(f"{args.n} chains per variant, seed {args.seed}; F1 / erroneous / correct accuracy")
    print("| variant | " + " | ".join(name for name, _ in models) + " |")
    print("|---|" + "---|" * len(models))
    for offset, (variant, options) in enumerate(VARIANTS.items()):
        chains = [as_chain(c) for c in heldout_chains(args.n, args.seed + offset, **options)]
        cells = []
        for _, model in models:
            r = evaluate_chains(chains, model, "token-cls" if model else None, device="cpu")
            cells.append(
                f"{r['f1']:.3f} / {r['accuracy_erroneous']:.3f} / {r['accuracy_correct']:.3f}"
            )
        print(f"| {variant} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
