"""JSON bodies whose size in items is checked before they are validated.

FastAPI parses a body, then validates all of it, then calls the route, which is where the item
bound used to be checked. Validation costs ~6 µs per item on the event loop, so a 9 MB body of
200,000 one-line items held every other caller for ~1.2 s before it was refused. Here the bound
is checked on the parsed body, ahead of validation: such a body is refused after the parse
(~0.1 s for 9 MB), and what is validated is at most `max_items` items long.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from mmreward.errors import InvalidInputError
from mmreward.settings import Settings


def too_many_items(body: Any, max_items: int) -> str | None:
    """Why a parsed body holds more items than one request may, or None.

    Every batch body keeps its items in top-level lists (`items`; OpenRLHF's `query`,
    `prompts`, `labels`), so a longer top-level list is a request over the bound.
    """
    if not isinstance(body, dict):
        return None
    for value in body.values():
        if isinstance(value, list) and len(value) > max_items:
            return f"at most {max_items} items per request"
    return None


class _BoundedRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            parsed = await super().json()
            settings = cast(Settings, self.app.state.settings)
            reason = too_many_items(parsed, settings.max_items)
            if reason is not None:
                raise HTTPException(InvalidInputError.status_code, reason)
        return self._json


class BoundedRoute(APIRoute):
    """An `APIRoute` whose JSON body is refused for its item count before it is validated."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            return await handler(_BoundedRequest(request.scope, request.receive))

        return bounded
