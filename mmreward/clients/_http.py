"""HTTP clients for a running `mmreward serve`.

Retries (with backoff, honouring Retry-After) only what is safe to retry: 429, 503 and
connection errors. Scoring is idempotent, so a retried batch gives the same verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from mmreward.items import VerifyItem
from mmreward.verifiers.verdict import Verdict

_RETRY_STATUS = frozenset({429, 502, 503, 504})


def _retryable(error: BaseException) -> bool:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in _RETRY_STATUS
    return isinstance(error, httpx.TransportError)


def _items(items: Sequence[VerifyItem | dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        item.model_dump(exclude_none=True) if isinstance(item, VerifyItem) else item
        for item in items
    ]


def _auth(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


class _Base:
    def __init__(self, retries: int) -> None:
        self._retry_args: dict[str, Any] = {
            "retry": retry_if_exception(_retryable),
            "stop": stop_after_attempt(retries + 1),
            "wait": wait_exponential_jitter(multiplier=0.2, max=10),
            "reraise": True,
        }


class RewardClient(_Base):
    """Blocking client; one connection pool per instance, safe to share across threads."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        super().__init__(retries)
        self._http = httpx.Client(base_url=base_url, timeout=timeout, headers=_auth(api_key))

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON with retries; 4xx other than 429 raise `httpx.HTTPStatusError` at once."""
        for attempt in Retrying(**self._retry_args):
            with attempt:
                response = self._http.post(path, json=body)
                response.raise_for_status()
                result: dict[str, Any] = response.json()
                return result
        raise AssertionError("unreachable")

    def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        results = self.post("/v1/verify", {"items": _items(items)})["results"]
        return [Verdict.model_validate(r) for r in results]

    def reward(self, recipe: str, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.post(f"/v1/reward/{recipe}", {"items": list(items)})[
            "results"
        ]
        return results

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRewardClient(_Base):
    """Async twin of `RewardClient`, for async reward functions (TRL runs them concurrently)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        super().__init__(retries)
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers=_auth(api_key))

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async for attempt in AsyncRetrying(**self._retry_args):
            with attempt:
                response = await self._http.post(path, json=body)
                response.raise_for_status()
                result: dict[str, Any] = response.json()
                return result
        raise AssertionError("unreachable")

    async def verify(self, items: Sequence[VerifyItem | dict[str, Any]]) -> list[Verdict]:
        results = (await self.post("/v1/verify", {"items": _items(items)}))["results"]
        return [Verdict.model_validate(r) for r in results]

    async def reward(self, recipe: str, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        body = {"items": list(items)}
        results: list[dict[str, Any]] = (await self.post(f"/v1/reward/{recipe}", body))["results"]
        return results

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
