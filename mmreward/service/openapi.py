"""The OpenAPI schema, corrected to say what error answers really look like.

FastAPI documents every 422 as a list of field errors; a 422 raised by the engine (too many
items, an unusable value) carries one message string instead. Both shapes are documented, so a
client generated from the schema, and schemathesis, accept every answer the service gives.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def document_error_details(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            detail = (
                schema.get("components", {})
                .get("schemas", {})
                .get("HTTPValidationError", {})
                .get("properties", {})
            )
            if "detail" in detail:
                error = {"$ref": "#/components/schemas/ValidationError"}
                fields = {"type": "array", "items": error}
                message = {"type": "string", "description": "what is wrong with the request"}
                detail["detail"] = {"title": "Detail", "anyOf": [message, fields]}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
