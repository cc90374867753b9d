"""Relabeling throughput: one local process vs the same job on a local Ray cluster (2 actors).

Two jobs, each run both ways on the same file: math verification of distinct responses
(fractions, powers, wrong answers, unparsable ones) and PRM scoring of synthetic chains with the
bundled PRM. Rows/s is wall time of the whole job: reading, engine start (sandbox workers, model
load) in the process or in every actor, scoring, checkpointed parts, the output file. The Ray
cluster is started once before any timing (`ray.init(num_cpus=CORES)`); each Ray run still pays
for its actors' start; the time until the first checkpointed part shows that start-up cost, and
the rate from the first to the last part the throughput once every engine is up (it counts
every part after the first, so with N actors it reads high by up to N - 1 chunks).
Both ways write byte-identical outputs (checked).

    python bench/relabel.py [--math-rows 20000] [--prm-rows 2000] [--actors 2]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import tempfile
import time
from pathlib import Path

import ray

from mmreward.jobs import RayOptions, RelabelSpec, relabel
from mmreward.jobs.checkpoint import Checkpoint
from mmreward.prm.synthetic import make_chain
from mmreward.settings import Settings


def math_rows(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        a, b = rng.randint(1, 999), rng.randint(2, 99)
        kind = i % 4
        if kind == 0:
            response, reference = f"so \\boxed{{\\frac{{{a}}}{{{b}}}}}", f"{a}/{b}"
        elif kind == 1:
            response, reference = f"The answer is {a}^{{2}}", str(a * a)
        elif kind == 2:
            response, reference = f"\\boxed{{{a + 1}}}", str(a)
        else:
            response, reference = f"I think it is x = {a}/{b} + 1", f"\\frac{{{a + b}}}{{{b}}}"
        rows.append({"id": i, "completion": response, "answer": reference})
    return rows


def prm_rows(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        chain = make_chain(rng)
        rows.append({"id": i, "problem": chain.problem, "steps": list(chain.steps)})
    return rows


def timed(
    spec: RelabelSpec, source: Path, target: Path, settings: Settings, **kw: object
) -> tuple[float, float, float]:
    """Seconds for the whole job; until its first part was written (start-up cost); rows/s
    between the first and the last part (every engine up)."""
    parts: list[tuple[float, int]] = []
    write = Checkpoint.write

    def noting(self: Checkpoint, index: int, columns: list[dict[str, object]]) -> None:
        write(self, index, columns)
        parts.append((time.perf_counter(), len(columns)))

    start = time.perf_counter()
    Checkpoint.write = noting  # type: ignore[method-assign]
    try:
        relabel(spec, source, target, settings=settings, progress=False, **kw)  # type: ignore[arg-type]
    finally:
        Checkpoint.write = write  # type: ignore[method-assign]
    whole = time.perf_counter() - start
    (first, _), (last, _) = parts[0], parts[-1]
    steady = sum(n for _, n in parts[1:]) / (last - first) if last > first else float("nan")
    return whole, first - start, steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--math-rows", type=int, default=20_000)
    parser.add_argument("--prm-rows", type=int, default=2_000)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--cpus-per-actor", type=float, default=0.5)
    parser.add_argument("--chunk-rows", type=int, default=250, help="math job")
    parser.add_argument("--prm-chunk-rows", type=int, default=100)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    cores = os.cpu_count() or 1
    settings = Settings(sandbox_workers=1, cache_size=0)
    jobs = {
        "math verification": (
            RelabelSpec(
                columns={"response": "completion", "reference": "answer"},
                chunk_rows=args.chunk_rows,
            ),
            math_rows(args.math_rows, args.seed),
        ),
        "PRM scoring": (
            RelabelSpec(
                capability="prm",
                name="",
                columns={"prompt": "problem"},
                chunk_rows=args.prm_chunk_rows,
            ),
            prm_rows(args.prm_rows, args.seed),
        ),
    }
    ray.init(num_cpus=cores, include_dashboard=False, logging_level=logging.WARNING)
    options = RayOptions(actors=args.actors, num_cpus=args.cpus_per_actor)
    results = []
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        for name, (spec, rows) in jobs.items():
            source = root / f"{spec.capability}.jsonl"
            source.write_text("".join(json.dumps(r) + "\n" for r in rows))
            local_out, ray_out = root / f"{name}.local.jsonl", root / f"{name}.ray.jsonl"
            here = timed(spec, source, local_out, settings)
            there = timed(spec, source, ray_out, settings, ray=options)
            same = local_out.read_bytes() == ray_out.read_bytes()
            results.append((name, len(rows), here, there, same))
    ray.shutdown()

    print(
        "| job | rows | way | rows/s, whole job | first part after | rows/s, first to last "
        "part | same output |"
    )
    print("|---|---:|---|---:|---:|---:|---|")
    for name, n, here, there, same in results:
        for way, (whole, first, after) in (
            ("local, 1 process", here),
            (f"Ray, {args.actors} actors", there),
        ):
            print(
                f"| {name} | {n:,} | {way} | {n / whole:,.0f} | {first:.1f} s | {after:,.0f} | "
                f"{same} |"
            )
    print(
        f"\n# {platform.processor() or platform.machine()}, {cores} CPUs, python "
        f"{platform.python_version()}, ray {ray.__version__}; sandbox_workers=1 per engine, "
        f"{args.cpus_per_actor} CPU per actor, chunks of {args.chunk_rows} (math) and "
        f"{args.prm_chunk_rows} (PRM) rows"
    )


if __name__ == "__main__":
    main()
