"""The browser playground: `/` and its static files, shipped in the package.

The page calls only the public API, so what it shows is what a training loop gets. Its files are
served under `/playground/` (a catch-all mount at `/` would turn every unknown path's JSON 404
into a file lookup). A strict Content-Security-Policy keeps the page on its own origin: no CDN,
no inline script, and user text can never become markup that runs.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parents[2] / "playground"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
_RAW_HEADERS = [(k.encode(), v.encode()) for k, v in HEADERS.items()]

router = APIRouter(tags=["playground"])


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    """The playground page."""
    return FileResponse(STATIC / "index.html", headers=HEADERS)


class _Secured:
    """Adds the playground's security headers to every static file."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_RAW_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount_playground(app: FastAPI) -> None:
    """Serve the page at `/` and its assets at `/playground/`."""
    app.include_router(router)
    app.mount("/playground", _Secured(StaticFiles(directory=STATIC)), name="playground")
