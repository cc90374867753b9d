"""`mmreward` command line: serve, verify, and the subcommands of each capability."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]

_SERVE_FLAGS: dict[str, tuple[str, type, str]] = {
    "--host": ("host", str, "address to bind"),
    "--port": ("port", int, "port to bind"),
    "--workers": ("workers", int, "uvicorn worker processes"),
    "--sandbox-workers": ("sandbox_workers", int, "sympy worker processes per server process"),
    "--sandbox-timeout": ("sandbox_timeout_s", float, "seconds per sympy item"),
    "--redis-url": ("redis_url", str, "share the verdict cache through Redis"),
    "--api-key": ("api_key", str, "require this bearer token on scoring routes"),
    "--recipes": ("recipes_dir", str, "directory of extra recipe files"),
    "--device": ("device", str, "auto, cpu or cuda"),
    "--prm-model": ("prm_model", str, "PRM checkpoint directory"),
    "--prm-format": ("prm_format", str, "token-cls, qwen-prm or step-tag-lm"),
    "--orm-model": ("orm_model", str, "sequence-classification reward model directory"),
    "--prm-trust-remote-code": ("prm_trust_remote_code", str, "true: run a PRM's own model code"),
    "--max-batch-tokens": ("max_batch_tokens", int, "padded tokens per PRM/ORM forward pass"),
    "--batch-max-queue": ("batch_max_queue", int, "queued PRM/ORM items before 429"),
    "--compile-models": ("compile_models", str, "true: torch.compile the PRM/ORM forward"),
    "--compute-lanes": ("compute_lanes", int, "model threads; 0 = one per core"),
    "--detector": ("detector", str, "YOLO .pt checkpoint"),
    "--preload-models": ("preload_models", str, "true (default) or false: load models at start"),
}


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mmreward.settings import Settings

    # Flags travel as MMREWARD_* variables so every uvicorn worker process builds the same app.
    # A server loads its models before it reports ready; library users load them on first use.
    os.environ.setdefault("MMREWARD_PRELOAD_MODELS", "true")
    for _flag, (field, _kind, _help) in _SERVE_FLAGS.items():
        value = getattr(args, field)
        if value is not None:
            os.environ[f"MMREWARD_{field.upper()}"] = str(value)
    settings = Settings()
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
                engine.verify_batch, args.source, args.target, spec, chunk_size=args.chunk
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
        StreamWorker(args.redis_url, engine.verify_batch).run()
    except KeyboardInterrupt:
        pass
    finally:
        engine.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mmreward", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    for flag, (field, kind, help_text) in _SERVE_FLAGS.items():
        serve.add_argument(flag, dest=field, type=kind, default=None, help=help_text)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
