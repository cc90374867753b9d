"""`/docs`: Swagger UI from files installed with the package, never from a CDN.

FastAPI's own page loads its script and styles from a CDN: a server on a network without
internet shows a blank page, and one with internet runs third-party script beside its API keys.
The assets come from `swagger-ui-bundle-v2` (Swagger UI 5, which renders OpenAPI 3.1) and are
served under `/docs/static/`. ReDoc is not offered: it has no offline bundle here.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = "/docs/static"


def mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` for `app`, built with `docs_url=None, redoc_url=None`."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(STATIC, StaticFiles(directory=Path(str(swagger_ui_path))), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
        )
