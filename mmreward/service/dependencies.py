"""Shared FastAPI dependencies: the engine, the settings, the item bound and API-key checks."""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Annotated, cast

from fastapi import Depends, Request

from mmreward.engine import Engine
from mmreward.errors import ConfigurationError, InvalidInputError, UnauthorizedError
from mmreward.settings import Settings

log = logging.getLogger(__name__)

# The dependencies are `async def` although they never wait: FastAPI runs a plain `def`
# dependency on a worker thread, and those hops were most of a 1-item request's server time.


async def get_engine(request: Request) -> Engine:
    return cast(Engine, request.app.state.engine)


async def get_settings(request: Request) -> Settings:
    return _settings(request)


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
"""Route parameter types: the app's engine and settings."""


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def check_item_count(count: int, settings: Settings) -> None:
    """The one bound on items per request, shared by every batch endpoint (checked by their
    route class, `mmreward.service.bodies`, before the items are validated)."""
    if count > settings.max_items:
        raise InvalidInputError(f"at most {settings.max_items} items per request")


def load_api_keys(settings: Settings) -> tuple[bytes, ...]:
    """Digests of every accepted key: `api_key` (comma-separated) and `api_keys_file` lines.

    Keys are kept as SHA-256 digests so that comparing them takes the same time whatever the
    length of the key a caller sends. In the file, blank lines and lines starting with `#` are
    skipped. A key option that yields no key is an error, not an open server: `--api-key
    "$UNSET"` or an empty keys file would otherwise start without auth and without a word.
    """
    keys: list[str] = []
    if settings.api_key is not None:
        given = [key.strip() for key in settings.api_key.get_secret_value().split(",")]
        if not any(given):
            raise ConfigurationError("api_key is set but holds no key (empty or only commas)")
        keys += given
    if settings.api_keys_file is not None:
        keys += _keys_in_file(settings.api_keys_file)
    return tuple(_digest(key) for key in keys if key)


def _keys_in_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"api_keys_file {str(path)!r} cannot be read: {error}") from None
    keys = [line.strip() for line in text.splitlines()]
    keys = [key for key in keys if key and not key.startswith("#")]
    if not keys:
        raise ConfigurationError(
            f"api_keys_file {str(path)!r} holds no key (only blank or # comment lines)"
        )
    return keys


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def _accepted(request: Request) -> tuple[bytes, ...]:
    state = request.app.state
    if not hasattr(state, "api_keys"):
        state.api_keys = load_api_keys(_settings(request))
    return cast(tuple[bytes, ...], state.api_keys)


def auth_required(request: Request) -> bool:
    return bool(_accepted(request))


def key_is_accepted(request: Request, given: str) -> bool:
    """Constant time in the key and in which of the accepted keys matches (all are compared)."""
    digest = _digest(given)
    matched = False
    for key in _accepted(request):
        matched |= hmac.compare_digest(digest, key)
    return matched


def key_checked(request: Request) -> bool:
    """Whether the route class already accepted this request's key (`service.bodies`): the
    routes' own key dependencies then pass without hashing and comparing it again."""
    return bool(getattr(request.state, "key_checked", False))


def is_authorized(request: Request) -> bool:
    """Whether the caller may use the keyed routes and read server internals (file paths, load
    errors): on a server without keys anyone may; with keys, a caller that sent one of them."""
    if key_checked(request) or not auth_required(request):
        return True
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and key_is_accepted(request, token.strip())


async def require_api_key(request: Request) -> None:
    """With keys configured, a route needs `Authorization: Bearer <one of the keys>`."""
    if not is_authorized(request):
        _log_refusal(request)
        raise UnauthorizedError("missing or wrong API key (Authorization: Bearer <key>)")


def _log_refusal(request: Request) -> None:
    """A refused caller is an operator's problem to see (a trainer with a wrong key retries,
    then fails inside its own code): the route and the caller at WARNING, never the key."""
    given = "authorization" in request.headers or "api_key" in request.query_params
    client = request.client.host if request.client else "unknown"
    log.warning(
        "refused %s %s from %s: %s API key",
        request.method,
        request.url.path,
        client,
        "wrong" if given else "missing",
    )


async def guard_probes(request: Request) -> None:
    """Health and metrics routes are open unless `health_public`/`metrics_public` say no."""
    settings = _settings(request)
    public = settings.metrics_public if request.url.path == "/metrics" else settings.health_public
    if not public:
        await require_api_key(request)
