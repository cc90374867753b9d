"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mmreward.engine import Engine
from mmreward.service.dependencies import get_engine

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers: it is alive (nothing more is checked)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(engine: Annotated[Engine, Depends(get_engine)], response: Response) -> Any:
    """Ready when a job round-trips through a sandbox worker."""
    ready = await engine.aready()
    if not ready:
        response.status_code = 503
    return {"status": "ready" if ready else "not ready"}


@router.get("/metrics")
async def metrics() -> Response:
    body = await run_in_threadpool(generate_latest)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
