"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from mmreward import __version__
from mmreward.encodable import scrub
from mmreward.engine import Engine
from mmreward.errors import MMRewardError, OverloadedError
from mmreward.service.dependencies import guard_probes, load_api_keys, require_api_key
from mmreward.service.limits import (
    BodyLimitMiddleware,
    MetricsMiddleware,
    RequestScopeMiddleware,
)
from mmreward.service.logs import redact_access_log
from mmreward.service.openapi import document_error_details
from mmreward.service.routers import catalog, compat, grounding, health, prm, reward, verify
from mmreward.service.routers.compat import get_reward_target
from mmreward.service.routers.docs import mount_docs
from mmreward.service.routers.playground import mount_playground
from mmreward.service.server import HEADER_TIMEOUT_KEY
from mmreward.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; `uvicorn --factory mmreward.service.app:create_app` reads the environment."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        owned = engine is None
        app.state.engine = engine or Engine(settings)
        if settings.get_reward_default:  # a typo in the default fails at start-up
            get_reward_target(None, None, settings, app.state.engine.recipes)
        if settings.preload_models:
            app.state.warm_up = asyncio.create_task(_warm_up(app.state.engine))
        else:
            app.state.warm_up = None
            _log_problems(app.state.engine)
            _freeze_startup_heap()
        try:
            yield {HEADER_TIMEOUT_KEY: settings.header_timeout_s}  # read by the server's protocol
        finally:
            if app.state.warm_up is not None:
                app.state.warm_up.cancel()
            if owned:
                app.state.engine.close()

    app = FastAPI(
        title="mmreward",
        version=__version__,
        description="Verifiers, process reward models and grounded rewards for RL training.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN; ours serves it locally
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.api_keys = load_api_keys(settings)
    redact_access_log()
    app.state.query_format = compat.load_query_format(settings)  # before any model loads
    app.add_middleware(RequestScopeMiddleware, default_deadline_s=settings.request_deadline_s)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_inflight_bytes=settings.max_inflight_body_bytes,
        body_timeout_s=settings.body_timeout_s,
    )
    app.add_middleware(MetricsMiddleware)
    app.add_exception_handler(MMRewardError, _mmreward_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.include_router(health.router, dependencies=[Depends(guard_probes)])
    guarded = [Depends(require_api_key)]
    for scoring in (verify, catalog, reward, grounding, prm):
        app.include_router(scoring.router, dependencies=guarded)
    app.include_router(compat.router)  # its own guard also takes the key from the URL
    mount_playground(app)
    mount_docs(app)
    document_error_details(app)
    return app


async def _warm_up(engine: Engine) -> None:
    """Load the models; say in the log which cannot serve (as `/readyz` does), then freeze."""
    try:
        await engine.awarm_up()
    finally:
        _log_problems(engine)
        _freeze_startup_heap()


def _log_problems(engine: Engine) -> None:
    for name, problem in engine.problems().items():
        log.warning("%s cannot serve: %s", name, problem)


_heap_frozen = False


def _freeze_startup_heap() -> None:
    """Keep the garbage collector off everything loaded at start-up, once per process.

    The modules, models and tables loaded at start-up are some 300,000 objects that live as
    long as the server; each full collection walked them all (~120 ms with the event loop
    stopped, every few seconds under load: most of the ordinary requests' p99). Collected
    first, so no garbage is frozen; once, because freezing is process-wide and a process may
    start several apps (tests).
    """
    global _heap_frozen
    if not _heap_frozen:
        gc.collect()
        gc.freeze()
        _heap_frozen = True


async def _mmreward_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MMRewardError)
    headers = {}
    if isinstance(exc, OverloadedError):
        headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
    return JSONResponse({"detail": scrub(str(exc))}, status_code=exc.status_code, headers=headers)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, with the echoed input made encodable (it may hold a lone surrogate) and
    brief: an invalid list of 200,000 options was echoed whole, ~0.25 s on the event loop."""
    assert isinstance(exc, RequestValidationError)
    errors = [{**e, "input": _brief(e["input"])} if "input" in e else e for e in exc.errors()]
    return JSONResponse({"detail": scrub(jsonable_encoder(errors))}, status_code=422)


_ECHO_CHARS = 256
_ECHO_MEMBERS = 8
_ECHO_DEPTH = 4


def _brief(value: Any, depth: int = 0) -> Any:
    """The start of an echoed input: enough to find it in the request, bounded in size."""
    if isinstance(value, str):
        if len(value) <= _ECHO_CHARS:
            return value
        return f"{value[:_ECHO_CHARS]}... ({len(value)} characters)"
    if not isinstance(value, dict | list | tuple):
        return value
    if depth >= _ECHO_DEPTH:
        return f"... ({type(value).__name__} of {len(value)})"
    if isinstance(value, dict):
        shown = {_brief(k): _brief(v, depth + 1) for k, v in list(value.items())[:_ECHO_MEMBERS]}
        if len(value) > _ECHO_MEMBERS:
            shown["..."] = f"{len(value) - _ECHO_MEMBERS} more keys"
        return shown
    members = [_brief(v, depth + 1) for v in value[:_ECHO_MEMBERS]]
    if len(value) > _ECHO_MEMBERS:
        members.append(f"... {len(value) - _ECHO_MEMBERS} more")
    return members
