"""HTTP clients for a running `mmreward serve`.

Retries (with backoff, honouring Retry-After) only what is safe to retry: 429, 502, 503, 504
and connection errors. Scoring is idempotent, so a retried batch gives the same verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
import urllib3
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from mmreward.clients._items import as_json
from mmreward.grounding.items import GroundingItem
from mmreward.items import RewardItem, VerifyItem
from mmreward.prm.items import ORMItem, ORMResult, PRMItem, PRMResult
from mmreward.recipes.model import RewardResult
from mmreward.verifiers.verdict import Verdict

if TYPE_CHECKING:
    from mmreward.prm.scorer import Aggregate

_RETRY_STATUS = frozenset({429, 502, 503, 504})
M = TypeVar("M", bound=BaseModel)

VERIFY = "/v1/verify"
PRM = "/v1/prm/score"
ORM = "/v1/orm/score"
GROUNDING = "/v1/grounding/score"


def _reward_path(recipe: str) -> str:
    """The recipe name as one path segment: a `?` or `#` in it must not become a query that
    scores with another recipe."""
    return f"/v1/reward/{quote(recipe, safe='')}"


def _prm_body(
    items: Sequence[PRMItem | dict[str, Any]], aggregate: Aggregate, threshold: float
) -> dict[str, Any]:
    return {"items": as_json(items), "aggregate": aggregate, "threshold": threshold}


def _results(model: type[M], answer: dict[str, Any]) -> list[M]:
    return [model.model_validate(result) for result in answer["results"]]


def _retryable(error: BaseException) -> bool:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in _RETRY_STATUS
    return isinstance(error, httpx.TransportError)


_JSON = {"content-type": "application/json"}


def _encode(body: dict[str, Any]) -> bytes:
    """ASCII JSON: a lone surrogate in an item travels as `\\ud800` and the server answers that
    item with an error naming the field, where UTF-8 encoding here would fail the whole call."""
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("ascii")


def _auth(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _status_error(answer: urllib3.BaseHTTPResponse, url: str) -> httpx.HTTPStatusError:
    """The error httpx raises for this answer, with its status, headers and body."""
    request = httpx.Request("POST", url)
    response = httpx.Response(
        answer.status, headers=list(answer.headers.items()), content=answer.data, request=request
    )
    return httpx.HTTPStatusError(
        f"{answer.status} answer from {url}: {answer.data[:500]!r}",
        request=request,
        response=response,
    )


def _transport_error(error: urllib3.exceptions.HTTPError, url: str) -> httpx.TransportError:
    """The httpx transport error of the same kind (connect, timeout, broken connection)."""
    request = httpx.Request("POST", url)
    kind: type[httpx.TransportError] = httpx.NetworkError
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        kind = httpx.ConnectError
    elif isinstance(error, urllib3.exceptions.TimeoutError):
        kind = httpx.ReadTimeout
    return kind(f"{type(error).__name__}: {error}", request=request)


class _Base:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        self._retry_args: dict[str, Any] = {
            "retry": retry_if_exception(_retryable),
            "stop": stop_after_attempt(retries + 1),
            "wait": wait_exponential_jitter(multiplier=0.2, max=10),
            "reraise": True,
        }
        self._connect(base_url.rstrip("/"), _auth(api_key), timeout)

    def _connect(self, base_url: str, auth: dict[str, str], timeout: float) -> None:
        raise NotImplementedError


class RewardClient(_Base):
    """Blocking client; one connection pool per instance, safe to share across threads.

    It speaks HTTP through urllib3's pool rather than httpx: a per-sample caller pays the
    client's CPU once per sample, and urllib3 took ~0.5 ms less of it per request
    (`bench/request_overhead.py`). Errors still surface as httpx's (`HTTPStatusError` for a
    4xx/5xx answer, `TransportError` for a connection that failed), as they always did.
    """

    def _connect(self, base_url: str, auth: dict[str, str], timeout: float) -> None:
        self._base = base_url
        self._headers = {**_JSON, **auth}
        self._http = urllib3.PoolManager(
            maxsize=16, retries=False, timeout=urllib3.Timeout(total=timeout)
        )

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON with retries; 4xx other than 429 raise `httpx.HTTPStatusError` at once."""
        for attempt in Retrying(**self._retry_args):
            with attempt:
                url = self._base + path
                try:
                    answer = self._http.request(
                        "POST", url, body=_encode(body), headers=self._headers
                    )
                except urllib3.exceptions.HTTPError as error:
                    raise _transport_error(error, url) from error
                if answer.status >= 400:
                    raise _status_error(answer, url)
                result: dict[str, Any] = json.loads(answer.data)
                return result
        raise AssertionError("unreachable")

    def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        return _results(Verdict, self.post(VERIFY, {"items": as_json(items)}))

    def reward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]:
        return _results(RewardResult, self.post(_reward_path(recipe), {"items": as_json(items)}))

    def prm_score(
        self,
        items: Sequence[PRMItem | dict[str, Any]],
        aggregate: Aggregate = "min",
        threshold: float = 0.5,
    ) -> list[PRMResult]:
        return _results(PRMResult, self.post(PRM, _prm_body(items, aggregate, threshold)))

    def orm_score(self, items: Sequence[ORMItem | dict[str, Any]]) -> list[ORMResult]:
        return _results(ORMResult, self.post(ORM, {"items": as_json(items)}))

    def grounding_score(self, items: Sequence[GroundingItem | dict[str, Any]]) -> list[Verdict]:
        return _results(Verdict, self.post(GROUNDING, {"items": as_json(items)}))

    def close(self) -> None:
        self._http.clear()

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRewardClient(_Base):
    """Async twin of `RewardClient`, for async reward functions (TRL runs them concurrently)."""

    def _connect(self, base_url: str, auth: dict[str, str], timeout: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers=auth)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async for attempt in AsyncRetrying(**self._retry_args):
            with attempt:
                response = await self._http.post(path, content=_encode(body), headers=_JSON)
                response.raise_for_status()
                result: dict[str, Any] = response.json()
                return result
        raise AssertionError("unreachable")

    async def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        return _results(Verdict, await self.post(VERIFY, {"items": as_json(items)}))

    async def reward(
        self, recipe: str, items: Sequence[RewardItem | dict[str, Any]]
    ) -> list[RewardResult]:
        body = {"items": as_json(items)}
        return _results(RewardResult, await self.post(_reward_path(recipe), body))

    async def prm_score(
        self,
        items: Sequence[PRMItem | dict[str, Any]],
        aggregate: Aggregate = "min",
        threshold: float = 0.5,
    ) -> list[PRMResult]:
        return _results(PRMResult, await self.post(PRM, _prm_body(items, aggregate, threshold)))

    async def orm_score(self, items: Sequence[ORMItem | dict[str, Any]]) -> list[ORMResult]:
        return _results(ORMResult, await self.post(ORM, {"items": as_json(items)}))

    async def grounding_score(
        self, items: Sequence[GroundingItem | dict[str, Any]]
    ) -> list[Verdict]:
        return _results(Verdict, await self.post(GROUNDING, {"items": as_json(items)}))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
