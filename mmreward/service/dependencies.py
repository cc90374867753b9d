"""Shared FastAPI dependencies."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from mmreward.engine import Engine
from mmreward.settings import Settings


def get_engine(request: Request) -> Engine:
    return cast(Engine, request.app.state.engine)


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)
