"""`mmreward` command line: serve, verify, and the subcommands of each capability."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from mmreward.cli_flags import add_settings_arguments

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mmreward.cli_flags import as_environment, given_settings, settings_from_args

    # Flags travel as MMREWARD_* variables so every uvicorn worker process builds the same app.
    # A server loads its models before it reports ready; library users load them on first use.
    os.environ.setdefault("MMREWARD_PRELOAD_MODELS", "true")
    os.environ.update(as_environment(given_settings(args)))
    settings = settings_from_args(args)
    uvicorn.run(
        "mmreward.service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=10,
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    from mmreward.verifiers import verify

    reference = json.loads(args.reference) if args.json_reference else args.reference
    options = json.loads(args.options) if args.options else None
    verdict = verify(args.verifier, args.response, reference, options=options)
    print(verdict.model_dump_json(indent=2))
    return 0


def _relabel(args: argparse.Namespace) -> int:
    from mmreward.jobs import RelabelQueue, RelabelSpec, relabel_file

    spec = RelabelSpec(
        verifier=args.verifier,
        response_field=args.response_field,
        reference_field=args.reference_field,
        output_field=args.output_field,
    )
    if args.redis_url:
        queue = RelabelQueue(args.redis_url, batch_size=args.batch_size)
        stats = relabel_file(queue.judge, args.source, args.target, spec, chunk_size=args.chunk)
    else:
        from mmreward.engine import Engine

        engine = Engine()
        try:
            stats = relabel_file(
                engine.verify, args.source, args.target, spec, chunk_size=args.chunk
            )
        finally:
            engine.close()
    print(json.dumps({"records": stats.records, "by_status": stats.by_status}))
    return 0


def _worker(args: argparse.Namespace) -> int:
    from mmreward.engine import Engine
    from mmreward.jobs import StreamWorker

    engine = Engine()
    try:
        StreamWorker(args.redis_url, engine.verify).run()
    except KeyboardInterrupt:
        pass
    finally:
        engine.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmreward", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    add_settings_arguments(serve)
    serve.set_defaults(handler=_serve)

    check = commands.add_parser("verify", help="judge one response from the command line")
    check.add_argument("--verifier", default="math")
    check.add_argument("--response", required=True)
    check.add_argument("--reference", required=True)
    check.add_argument("--options", help="JSON list of answer choices")
    check.add_argument("--json-reference", action="store_true", help="parse reference as JSON")
    check.set_defaults(handler=_verify)

    relabel = commands.add_parser("relabel", help="add verdicts to every record of a JSONL file")
    relabel.add_argument("source", type=Path)
    relabel.add_argument("target", type=Path)
    relabel.add_argument("--verifier", default="math")
    relabel.add_argument("--response-field", default="response")
    relabel.add_argument("--reference-field", default="reference")
    relabel.add_argument("--output-field", default="reward")
    relabel.add_argument("--chunk", type=int, default=256, help="records per engine call")
    relabel.add_argument("--redis-url", help="fan out to `mmreward worker` processes")
    relabel.add_argument("--batch-size", type=int, default=32, help="items per stream entry")
    relabel.set_defaults(handler=_relabel)

    worker = commands.add_parser("worker", help="judge relabel batches from Redis Streams")
    worker.add_argument("--redis-url", required=True)
    worker.set_defaults(handler=_worker)

    from mmreward.grounding.cli import add_grounding_command

    add_grounding_command(commands)

    from mmreward.prm.commands import add_prm_command

    add_prm_command(commands)

    from mmreward.rl.commands import add_train_command

    add_train_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
