"""Command-line flags generated from `Settings`: one per field, so a new setting needs no CLI edit.

Each flag takes its name from the field (`max_batch_tokens` -> `--max-batch-tokens`), its help
from the field's description and its checks from the field's type and bounds, so a bad value is
an argparse error naming the flag, before anything starts.
"""

from __future__ import annotations

import argparse
import types
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import SecretStr, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from mmreward.settings import Settings

ALIASES: dict[str, tuple[str, ...]] = {"recipes_dir": ("--recipes",)}
"""Short names beside the generated ones: `--recipes DIR` is how the docs add recipe files."""


def at_least(kind: type[int] | type[float], low: float, words: str) -> Any:
    """An argparse type: a number of `kind`, at least `low`; refused where it is written,
    before anything starts (a Ray actor count under 1, a negative CPU share, no runs at once)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {words}") from None
        if not value >= low:
            raise argparse.ArgumentTypeError(f"{text!r}: at least {low:g}")
        return value

    return parse


count = at_least(int, 1, "a whole number")


def name_value(text: str) -> tuple[str, str]:
    """An argparse type for `NAME=VALUE` (`--set seed=1`, `--map response=completion`)."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE")
    return name, value


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _converter(name: str, field: FieldInfo) -> Callable[[str], Any]:
    """Parse and check one value exactly as `Settings` would (type, bounds, choices)."""
    kind: Any = field.annotation
    if field.metadata:
        kind = Annotated[(kind, *field.metadata)]
    adapter: TypeAdapter[Any] = TypeAdapter(kind)

    def convert(text: str) -> Any:
        try:
            return adapter.validate_python(text)
        except ValidationError as error:
            reason = "; ".join(e["msg"] for e in error.errors())
            raise argparse.ArgumentTypeError(f"{text!r}: {reason}") from None

    convert.__name__ = name
    return convert


_METAVARS: dict[Any, str] = {int: "N", float: "X", str: "TEXT"}


def server_only(field: FieldInfo) -> bool:
    """A setting only the HTTP server reads (`settings.SERVER_ONLY`)."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("server_only") is True


def _describe(field: FieldInfo) -> tuple[str, dict[str, Any]]:
    """Help text and extra argparse arguments (choices, metavar) for one field."""
    kind = _without_none(field.annotation)
    help_text = field.description or ""
    extra: dict[str, Any] = {}
    if kind is bool:
        extra["metavar"] = "{true,false}"
    elif get_origin(kind) is Literal:
        extra["choices"] = list(get_args(kind))
    elif isinstance(field.json_schema_extra, dict) and "choices" in field.json_schema_extra:
        extra["choices"] = field.json_schema_extra["choices"]
    elif kind is Path:
        extra["metavar"] = "PATH"
    elif kind is SecretStr:
        extra["metavar"] = "SECRET"
    else:
        extra["metavar"] = _METAVARS.get(kind, "VALUE")
    default = field.get_default(call_default_factory=True)
    if default is not None and not isinstance(default, SecretStr):
        help_text = f"{help_text} (default: {str(default).lower() if kind is bool else default})"
    return help_text.strip(), extra


def add_settings_arguments(parser: argparse.ArgumentParser, *, server: bool = True) -> None:
    """Add one `--flag` per `Settings` field; a flag not given leaves the namespace untouched,
    so the environment (`MMREWARD_<NAME>`) and the defaults decide.

    With `server=False` (`relabel`, `train`: a command running its own engine) the server-only
    settings are left out and the rest are listed by name in one paragraph: their descriptions
    are `mmreward serve --help`'s, and sixty lines of them buried the command's own flags."""
    title = "settings (also MMREWARD_<NAME> environment variables)"
    group = parser.add_argument_group(title)
    listed: list[str] = []
    for name, field in Settings.model_fields.items():
        if not server and server_only(field):
            continue
        help_text, extra = _describe(field)
        group.add_argument(
            flag_name(name),
            *ALIASES.get(name, ()),
            dest=name,
            type=_converter(name, field),
            default=argparse.SUPPRESS,
            help=help_text if server else argparse.SUPPRESS,
            **extra,
        )
        shown = "{" + ",".join(extra["choices"]) + "}" if "choices" in extra else extra["metavar"]
        listed.append(f"{flag_name(name)} {shown}")
    if not server:
        group.title = "engine settings (also MMREWARD_<NAME> environment variables)"
        group.description = (
            "Each is described in `mmreward serve --help`: " + ", ".join(listed) + "."
        )


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings named on the command line, already parsed and checked."""
    return {name: value for name, value in vars(args).items() if name in Settings.model_fields}


def settings_from_args(args: argparse.Namespace) -> Settings:
    """`Settings` from the environment, overridden by every flag given."""
    return Settings(**given_settings(args))


def as_environment(values: dict[str, Any]) -> dict[str, str]:
    """`MMREWARD_*` variables carrying `values`, for child processes that build their own."""
    env = {}
    for name, value in values.items():
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        env[f"MMREWARD_{name.upper()}"] = text
    return env
