"""`mmreward` command line: serve, verify, and the subcommands of each capability.

Every engine setting is a flag (`mmreward.cli_flags`); a bad value, an unknown verifier or a
malformed argument ends with a one-line message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from mmreward.cli_flags import add_settings_arguments

if TYPE_CHECKING:
    from mmreward.settings import Settings

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mmreward.cli_flags import as_environment, given_settings, settings_from_args
    from mmreward.service.dependencies import load_api_keys
    from mmreward.service.server import HeaderTimeoutProtocol

    given = given_settings(args)
    # A key option that holds no key ends here with one line, rather than serving without auth;
    # so does a recipe file or a default scorer that names something unknown.
    load_api_keys(settings_from_args(args))
    _check_names(settings_from_args(args))
    if "api_key" in given:
        print(
            "mmreward serve: warning: --api-key is visible to every local user in `ps`; "
            "prefer MMREWARD_API_KEY or --api-keys-file",
            file=sys.stderr,
        )
    # Flags travel as MMREWARD_* variables so every uvicorn worker process builds the same app.
    # A server loads its models before it reports ready; library users load them on first use.
    os.environ.setdefault("MMREWARD_PRELOAD_MODELS", "true")
    os.environ.update(as_environment(given))
    settings = settings_from_args(args)
    uvicorn.run(
        "mmreward.service.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=HeaderTimeoutProtocol,
        timeout_graceful_shutdown=10,
    )
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error: a bad value names the flag and the fix, without the
    page of usage (a command with every engine setting has ~40 lines of it) in front."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


class _HelpFormatter(argparse.HelpFormatter):
    """Help beside the flag where it fits, rather than on a line of its own."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=40)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        """Paragraphs wrapped between words only: a flag is never cut at one of its hyphens."""
        text = " ".join(text.split())
        return textwrap.fill(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )


def _check_names(settings: Settings) -> None:
    """What the server would refuse at start-up inside uvicorn (a traceback there), refused
    here with one line: recipe files, and the default scorer of /get_reward."""
    from mmreward.capabilities import kinds_of
    from mmreward.recipes import RecipeBook
    from mmreward.service.routers.compat import get_reward_target

    recipes = RecipeBook.load([settings.recipes_dir], kinds=kinds_of())
    if settings.get_reward_default:
        get_reward_target(None, None, settings, recipes)


class UsageError(Exception):
    """A command-line mistake found after parsing: reported like argparse's own errors."""


def _verifier_name(name: str) -> str:
    from mmreward.names import unknown_name
    from mmreward.verifiers import verifier_names

    known = verifier_names()
    if name not in known:
        raise argparse.ArgumentTypeError(unknown_name("verifier", name, known))
    return name


def _json_options(text: str) -> list[str]:
    try:
        options = json.loads(text)
    except json.JSONDecodeError:
        options = None
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise argparse.ArgumentTypeError(
            f'expected a JSON list of strings such as \'["A", "B"]\', got {text!r}'
        )
    return options


def _verify(args: argparse.Namespace) -> int:
    from mmreward.verifiers import verify

    reference = args.reference
    if args.json_reference:
        try:
            reference = json.loads(args.reference)
        except json.JSONDecodeError as error:
            raise UsageError(f"argument --reference: not JSON ({error})") from None
    verdict = verify(args.verifier, args.response, reference, options=args.options)
    print(verdict.model_dump_json(indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="mmreward", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="run the HTTP service", usage="%(prog)s [--host TEXT] [--port N] [settings]"
    )
    add_settings_arguments(serve)
    serve.set_defaults(handler=_serve)

    check = commands.add_parser("verify", help="judge one response from the command line")
    check.add_argument("--verifier", default="math", type=_verifier_name, help="verifier name")
    check.add_argument("--response", required=True)
    check.add_argument("--reference", required=True)
    check.add_argument("--options", type=_json_options, help='JSON list of choices: \'["A", "B"]\'')
    check.add_argument("--json-reference", action="store_true", help="parse reference as JSON")
    check.set_defaults(handler=_verify)

    from mmreward.jobs.cli import add_relabel_command

    add_relabel_command(commands)

    from mmreward.grounding.cli import add_grounding_command

    add_grounding_command(commands)

    from mmreward.prm.commands import add_prm_command

    add_prm_command(commands)

    from mmreward.rl.commands import add_train_command

    add_train_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from pydantic import ValidationError

    from mmreward.errors import MMRewardError

    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the subcommand, whose --help lists what it takes
        commands: dict[str, argparse.ArgumentParser] = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr,assignment]
        commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    handler: Handler = args.handler
    try:
        return handler(args)
    except (UsageError, MMRewardError, ValidationError) as error:
        print(f"mmreward {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except OSError as error:  # a path that cannot be read or written: one line, no traceback
        print(f"mmreward {args.command}: error: {error}", file=sys.stderr)
        return 2


def _one_line(error: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors()
        )
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
