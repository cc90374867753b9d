"""Shared FastAPI dependencies."""

from __future__ import annotations

import secrets
from typing import cast

from fastapi import Request

from mmreward.engine import Engine
from mmreward.errors import InvalidInputError, UnauthorizedError
from mmreward.settings import Settings


def get_engine(request: Request) -> Engine:
    return cast(Engine, request.app.state.engine)


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def check_item_count(count: int, settings: Settings) -> None:
    """The one bound on items per request, shared by every batch endpoint."""
    if count > settings.max_items:
        raise InvalidInputError(f"at most {settings.max_items} items per request")


def require_api_key(request: Request) -> None:
    """With `api_key` set, scoring routes need `Authorization: Bearer <key>`; health stays open."""
    expected = get_settings(request).api_key
    if expected is None:
        return
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    ):
        raise UnauthorizedError("missing or wrong API key (Authorization: Bearer <key>)")
