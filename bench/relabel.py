"""Relabeling throughput: one local process vs the same job on a local Ray cluster (2 actors).

Two jobs, each run both ways on the same file: math verification of distinct responses
(fractions, powers, wrong answers, unparsable ones) and PRM scoring of synthetic chains with the
bundled PRM. Rows/s is wall time of the whole job: reading, engine start (sandbox workers, model
load) in the process or in every actor, scoring, checkpointed parts, the output file. The Ray
cluster is started once before any timing (`ray.init(num_cpus=CORES)`); each Ray run still pays
for its actors' start. Both ways write byte-identical outputs (checked).

    python bench/relabel.py [--math-rows 20000] [--prm-rows 1000] [--actors 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from pathlib import Path

import ray

from mmreward.jobs import RayOptions, RelabelSpec, relabel
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


def timed(spec: RelabelSpec, source: Path, target: Path, settings: Settings, **kw: object) -> float:
    start = time.perf_counter()
    relabel(spec, source, target, settings=settings, progress=False, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--math-rows", type=int, default=20_000)
    parser.add_argument("--prm-rows", type=int, default=1_000)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--cpus-per-actor", type=float, default=0.5)
    parser.add_argument("--chunk-rows", type=int, default=500)
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
                chunk_rows=args.chunk_rows,
            ),
            prm_rows(args.prm_rows, args.seed),
        ),
    }
    ray.init(num_cpus=cores, include_dashboard=False, logging_level="WARNING")
    options = RayOptions(actors=args.actors, num_cpus=args.cpus_per_actor)
    results = []
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        for name, (spec, rows) in jobs.items():
            source = root / f"{spec.capability}.jsonl"
            source.write_text("".join(json.dumps(r) + "\n" for r in rows))
            local_out, ray_out = root / f"{name}.local.jsonl", root / f"{name}.ray.jsonl"
            local_s = timed(spec, source, local_out, settings)
            ray_s = timed(spec, source, ray_out, settings, ray=options)
            same = local_out.read_bytes() == ray_out.read_bytes()
            results.append((name, len(rows), len(rows) / local_s, len(rows) / ray_s, same))
    ray.shutdown()

    ways = f"local, 1 process (rows/s) | Ray, {args.actors} actors (rows/s)"
    print(f"| job | rows | {ways} | Ray / local | same output |")
    print("|---|---:|---:|---:|---:|---|")
    for name, n, here, there, same in results:
        print(f"| {name} | {n:,} | {here:,.0f} | {there:,.0f} | {there / here:.2f}x | {same} |")
    print(
        f"\n# {platform.processor() or platform.machine()}, {cores} CPUs, python "
        f"{platform.python_version()}, ray {ray.__version__}; sandbox_workers=1 per engine, "
        f"{args.cpus_per_actor} CPU per actor, chunks of {args.chunk_rows} rows"
    )


if __name__ == "__main__":
    main()
