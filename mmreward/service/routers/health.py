"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mmreward.service.dependencies import EngineDep, is_authorized

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers: it is alive (nothing more is checked)."""
    return {"status": "ok"}


_WITHHELD = "cannot serve (the reason is in the server's log, and here with an API key)"


@router.get("/readyz")
async def readyz(request: Request, engine: EngineDep, response: Response) -> Any:
    """Ready when preloaded models are in memory, no configured model is missing or broken
    (`problems` names each one that is, with the reason), and a job round-trips through the
    sandbox. On a server with keys the status stays open to probes (unless `health_public` is
    false), but the reasons, which name file paths, are shown only to a caller with a key."""
    detailed = is_authorized(request)
    warm_up: asyncio.Task[None] | None = request.app.state.warm_up
    if warm_up is not None and not warm_up.done():
        response.status_code = 503
        return {"status": "loading models"}
    if warm_up is not None and not warm_up.cancelled() and warm_up.exception() is not None:
        response.status_code = 503
        reason = f"model loading failed: {warm_up.exception()}" if detailed else _WITHHELD
        return {"status": "not ready", "error": reason}
    problems = engine.problems()
    if problems:
        response.status_code = 503
        if not detailed:
            problems = dict.fromkeys(problems, _WITHHELD)
        return {"status": "not ready", "problems": problems}
    ready = await engine.aready()
    if not ready:
        response.status_code = 503
    return {"status": "ready" if ready else "not ready"}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics() -> Response:
    body = await run_in_threadpool(generate_latest)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
